"""The review page in a real headless browser (Debian's chromium, driven by Playwright):
paste an article into GET /view, submit, and check what a reader sees."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.api import create_app
from service.settings import Settings
from tests.conftest import DRAFT_003, article
from tests.openai_server import OpenAIServer, answer
from tests.servers import serve

CHROMIUM = shutil.which("chromium")
if CHROMIUM is None:
    if os.environ.get("KHABAR_REQUIRE_BROWSER"):
        raise RuntimeError("the browser test needs Debian's chromium (apt-get install chromium)")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run "
                "installs it and runs this test", allow_module_level=True)
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
A003 = article("003")


@pytest.fixture
def khabar_url(settings: Settings, openai_server: tuple[OpenAIServer, str]) -> Iterator[str]:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    app = create_app(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model"}))
    with serve(app) as base:
        yield base


def test_a_reader_sees_every_grounded_span_highlighted_and_a_click_shows_its_record(
        khabar_url: str) -> None:
    from playwright.sync_api import sync_playwright

    expected = httpx.post(f"{khabar_url}/extract", json={"text": A003}, timeout=30).json()
    spans = {q["id"]: q["text"] for q in expected["quotes"] if q["start"] >= 0}
    spans |= {r["id"]: r["evidence"]["text"] for r in [*expected["events"],
                                                       *expected["positions"]]
              if r["evidence"]["start"] >= 0}
    assert spans

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{khabar_url}/view")
        page.fill("textarea[name=text]", A003)
        with page.expect_navigation():
            page.click("button[type=submit]")

        assert page.locator("section.article").get_attribute("dir") == "rtl"
        # Each record's highlighted stretches, read back from the rendered page.
        shown = page.evaluate("""() => {
            const out = {};
            for (const a of document.querySelectorAll('a.span')) {
                const bg = getComputedStyle(a).backgroundColor + getComputedStyle(a).backgroundImage;
                if (bg.includes('rgba(0, 0, 0, 0)none')) continue;  // not visibly highlighted
                for (const id of a.dataset.records.split(' ')) out[id] = (out[id] || '') + a.textContent;
            }
            return out;
        }""")
        assert shown == spans

        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
        for record_id in spans:
            link = page.locator(f'a.span[href="#{record_id}"]').first
            if link.count() == 0:  # only reachable through a stretch it shares: use the card
                continue
            link.click()
            assert page.evaluate("location.hash") == f"#{record_id}"
            card = page.locator(f"#{record_id}")
            assert card.is_visible()
            assert page.evaluate("document.querySelector(':target').id") == record_id
            assert spans[record_id][:20] in card.inner_text()
        page.locator(f'a.span[href="#{next(iter(spans))}"]').first.click()
        page.screenshot(path=str(ARTIFACTS / "review-page-clicked.png"))
        browser.close()
