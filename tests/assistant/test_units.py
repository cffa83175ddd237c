from assistant.units import split_units

TEXT = """# 2.1. Batteries
For TeleMetrum and TeleMega, the battery charges over USB. When the battery is fully
charged, the green LED will be lit. See e.g. the manual.

1. Extract the source:
   tar xzf nrpe.tar.gz
2. Compile the NRPE addon:

```
# ./configure
# make all
```

| Product | ID |
|---|---|
| e-com_a USB | 0x400 |"""


def test_units_follow_the_markdown_structure():
    units = split_units("c-1", TEXT)
    assert [(u.kind, u.text) for u in units] == [
        ("heading", "2.1. Batteries"),
        ("sentence", "For TeleMetrum and TeleMega, the battery charges over USB."),
        ("sentence", "When the battery is fully charged, the green LED will be lit."),
        ("sentence", "See e.g. the manual."),
        ("step", "1. Extract the source: tar xzf nrpe.tar.gz"),
        ("step", "2. Compile the NRPE addon:"),
        ("code", "# ./configure"),
        ("code", "# make all"),
        ("header", "Product | ID"),
        ("row", "e-com_a USB | 0x400"),
    ]


def test_unit_offsets_point_into_the_chunk_text():
    for unit in split_units("c-1", TEXT):
        raw = TEXT[unit.start : unit.end]
        assert all(word in raw for word in unit.text.split() if word != "|")
    sentence = split_units("c-1", TEXT)[2]
    assert TEXT[sentence.start : sentence.end] == "When the battery is fully\ncharged, the green LED will be lit."


def test_every_unit_knows_its_section():
    assert {u.section for u in split_units("c-1", TEXT)} == {"2.1. Batteries"}


def test_a_first_row_of_values_is_quoted_as_a_row_not_taken_as_column_names():
    options = "| -p mode | mode (0:single, 1:dgps, 2:kinematic) [2] |\n| --- | --- |\n| -m mask | elevation mask angle (deg) [15] |"
    units = split_units("c-2", options)
    assert [(u.kind, u.header) for u in units] == [("row", ""), ("row", "")]
    assert units[0].text == "-p mode | mode (0:single, 1:dgps, 2:kinematic) [2]"


def test_table_rows_know_the_caption_above_the_table_and_keep_a_leading_comparison():
    text = ("TABLE I. FALSE POSITIVE AND DETECTION RATES FOR SDHASH\n\n"
            "| Score | FP rate | Detect rate |\n| --- | --- | --- |\n| > 40 | 0.00544% | 32.7% |\n| > 50 | 0.00362% | 29.7% |")
    units = split_units("c-3", text)
    assert [u.kind for u in units] == ["sentence", "header", "row", "row"]
    assert units[3].text == "> 50 | 0.00362% | 29.7%"  # a cell's ">" is not a Markdown block quote
    assert {u.caption for u in units[1:]} == {"TABLE I. FALSE POSITIVE AND DETECTION RATES FOR SDHASH"}
    assert units[0].caption == ""
    plain = split_units("c-4", "Some prose before.\n\n| a | b |\n| --- | --- |\n| 1 | 2 |")
    assert all(u.caption == "" for u in plain)  # only a line that reads as a caption counts
