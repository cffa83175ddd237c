"""Answer types: which questions ask for one, and which texts hold one."""

from __future__ import annotations

import pytest

from assistant.answer_type import expected_type, holds


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("How much does a TeleMega flight computer cost in the Altus Metrum store?", "a price"),
        ("Was kostet der Kartenleser?", "a price"),
        ("What postal address should signed forms be mailed to?", "a postal address"),
        ("Where do I send the form, what is the mailing address?", "a postal address"),
        ("In which programming language is the reference implementation written?", "a programming language"),
        ("In what year was version 2 released?", "a date"),
        ("What is the support hotline number?", "a phone number"),
        ("What is the support phone number?", "a phone number"),
        ("Is the board waterproof, and what IP rating does it have?", "an IP rating"),
        ("Which e-mail address handles assignments?", "an e-mail address"),
    ],
)
def test_questions_that_ask_for_a_recognisable_type(question: str, name: str | None) -> None:
    found = expected_type(question)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(
    "question",
    [
        "In which language must the word 'Copyright' be written in a copyright notice?",  # a natural language
        "What IP address does the daemon listen on?",
        "How do I reset the alarm?",
        "How much storage does TeleMega have?",
    ],
)
def test_other_questions_have_no_expected_type(question: str) -> None:
    assert expected_type(question) is None


def test_texts_that_hold_the_type_and_near_misses_that_do_not() -> None:
    price = expected_type("How much does it cost?")
    assert price and holds(price, "The kit sells for $49.95.") and holds(price, "Preis: 25 EUR")
    assert not holds(price, "You can purchase matching batteries from the Altus Metrum store.")
    address = expected_type("What postal address do I use?")
    assert address and holds(address, "Postadresse: Schwabacher Str. 34, 90762 Fürth, Deutschland")
    assert holds(address, "51 Franklin Street, Fifth Floor, Boston, MA 02110-1301")
    assert not holds(address, "Papers may be sent by postal mail or scanned and e-mailed.")
    language = expected_type("Which programming language is it implemented in?")
    assert language and holds(language, "a reference implementation in C and Python")
    assert not holds(language, "The TLSH scheme described has been implemented. Copyright (C) 2013. rust on a bracket")
    date = expected_type("In which year was it published?")
    assert date and holds(date, "published in March 2013") and not holds(date, "published by the authors")
    ip = expected_type("What IP rating does it have?")
    assert ip and holds(ip, "The case is rated IP67.") and holds(ip, "dust-tight (IP 6X)") and not holds(ip, "set the IP address")
