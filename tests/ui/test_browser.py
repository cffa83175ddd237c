"""End to end in a real browser: 'folio ui' on a free port, driven by headless Chromium through Playwright.

Upload a page photo, wait until it is read, ask a question, and check that the answer and a
citation image with the highlight drawn on it appear. Screenshots go to the test's temp folder and
a copy to /tmp/folio-ui-screenshots/.
"""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.ui.conftest import PHOTO, QUESTION, serve_folio_ui

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path("/tmp/folio-ui-screenshots")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """``folio ui`` serving an empty data dir on a free loopback port."""
    with serve_folio_ui(tmp_path) as url:
        yield url


def highlight_pixels(png: bytes) -> int:
    """Pixels of the citation outline colour in a screenshot."""
    from PIL import Image

    from ui.render import HIGHLIGHT

    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((np.abs(pixels - np.array(HIGHLIGHT)).max(axis=2) <= 40).sum())


def save(png: bytes, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(png)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)
    return path


def test_upload_ask_and_see_the_highlighted_citation(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            timings = drive(page, expect, app_url, tmp_path)
        finally:
            browser.close()
    print("\n" + ", ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))


def drive(page, expect, url: str, tmp_path: Path) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The user's path through the app; returns the seconds each step took."""
    opened = time.perf_counter()
    page.goto(url)
    expect(page.get_by_text("Loading the models")).to_be_visible(timeout=60_000)  # the first session says it waits for them
    expect(page.get_by_text("has no pages yet")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=180_000)  # the models are loaded
    expect(page.get_by_text("Loading the models")).to_be_hidden()
    ready = time.perf_counter()
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(PHOTO))
    expect(page.get_by_text(PHOTO.name).first).to_be_visible(timeout=30_000)
    started = time.perf_counter()
    page.get_by_role("button", name="Add to library").click()
    expect(page.get_by_text(f"Added {PHOTO.name}: 1 page read")).to_be_visible(timeout=180_000)
    ingested = time.perf_counter()
    expect(page.get_by_text("1 document in 'default'")).to_be_visible(timeout=60_000)
    save(page.screenshot(), tmp_path, "1-ingested.png")

    page.get_by_placeholder("Ask a question about your pages").fill(QUESTION)
    asked = time.perf_counter()
    page.keyboard.press("Enter")
    crop = page.locator('img[alt^="citation 1:"]')
    expect(crop).to_be_visible(timeout=120_000)
    answered = time.perf_counter()
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer).to_contain_text("Nilsimsa")
    crop.scroll_into_view_if_needed()
    assert highlight_pixels(crop.screenshot()) > 200, "the citation crop shows no highlighted box"
    expander = page.get_by_test_id("stExpander").filter(has_text="Full page").first
    expander.get_by_text("Full page").click()
    expect(expander.locator("img")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)
    page.set_viewport_size({"width": 1400, "height": 2600})  # the whole conversation in one picture
    page.get_by_test_id("stChatMessage").first.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(1000)  # let the expander finish opening
    save(page.screenshot(), tmp_path, "2-answer.png")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_text("Library", exact=True).click()
    expect(page.get_by_text("1 document, 1 page")).to_be_visible(timeout=30_000)
    save(page.screenshot(), tmp_path, "3-library.png")
    return {"app ready (models loaded)": ready - opened, "upload to stored": ingested - started,
            "question to cited answer": answered - asked, "upload to first answer (without typing)": ingested - started + answered - asked}


def test_first_screen_topic_switch_follow_up_and_a_photographed_manual(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import MINI

    photos = MINI / "images" / "photo"
    rtklib, cyberjack, nrpe, altos = (photos / f"{n}.jpg" for n in ("rtklib-manual_p037", "cyberjack-handbuch_p005", "nrpe-guide_p006",
                                                                    "altusmetrum-manual_p010"))
    with serve_folio_ui(tmp_path, "--ingest", str(rtklib), str(cyberjack)) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)
            expect(page.get_by_text("Your documents")).to_be_visible(timeout=120_000)
            expect(page.get_by_text("Try asking")).to_be_visible(timeout=30_000)
            expect(page.get_by_text(rtklib.name).first).to_be_visible()
            expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=180_000)
            save(page.screenshot(), tmp_path, "first-screen.png")

            # two photos as the pages of one document: "Page 6 of 21" and a page whose footer reads "4"
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(nrpe), str(altos)])
            page.get_by_role("textbox", name="Pages of one document called").fill("Field manual")
            page.get_by_role("button", name="Add to library").click()
            expect(page.get_by_text("Added Field manual: 2 pages read")).to_be_visible(timeout=180_000)

            def ask(question: str, n: int):  # type: ignore[no-untyped-def]
                page.get_by_placeholder("Ask a question about your pages").fill(question)
                page.keyboard.press("Enter")
                answer = page.get_by_test_id("stChatMessage").nth(n)
                expect(answer.locator('img[alt^="citation 1"]').first).to_be_visible(timeout=120_000)
                expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=60_000)
                return answer

            expect(ask("Which option sets the elevation mask angle?", 1)).to_contain_text("elmask")
            switched = ask("What is the e-mail address of REINER SCT support?", 3)
            expect(switched).to_contain_text("support@reiner-sct.com")
            manual = ask("How do I test the NRPE daemon locally?", 5)
            expect(manual).to_contain_text("Field manual, p. 6")  # the document's name and the page's printed number
            follow = ask("Which port should it be listening on?", 7)
            expect(follow).to_contain_text("5666")
            expect(follow).to_contain_text("Field manual, p. 6")
            follow.scroll_into_view_if_needed()
            save(page.screenshot(), tmp_path, "manual-citation.png")
        finally:
            browser.close()
