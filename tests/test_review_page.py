"""The review page: every grounded span highlighted by kind, linked to its record."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.api import create_app
from service.settings import Settings
from service.visualization import review_page, segments
from tests.conftest import DRAFT_003, article
from tests.openai_server import OpenAIServer, answer
from tests.servers import serve

A003 = article("003")


@pytest.fixture
def service(settings: Settings, openai_server: tuple[OpenAIServer, str]
            ) -> Iterator[httpx.Client]:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    app = create_app(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model"}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield client


def _result(client: httpx.Client) -> dict:
    response = client.post("/extract", json={"text": A003, "published": "2021-07-14"})
    assert response.status_code == 200, response.text
    return response.json()


def _highlighted(page: str) -> dict[str, str]:
    """Record id -> the text of the highlighted segments linked to it, in order."""
    found: dict[str, str] = {}
    for records, text in re.findall(r'<a class="span[^"]*" href="#[^"]+" '
                                    r'data-records="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        for record in records.split():
            found[record] = found.get(record, "") + html.unescape(text)
    return found


def test_segments_cut_the_text_at_every_boundary_and_keep_overlaps() -> None:
    text = "abcdefghij"
    cut = segments(text, [(2, 6, "quote", "Q1", "q"), (4, 8, "event", "V1", "v"),
                          (-1, -1, "quote", "Q2", "ungrounded")])
    assert "".join(s.text for s in cut) == text
    assert [(s.text, s.records) for s in cut] == [
        ("ab", []), ("cd", ["Q1"]), ("ef", ["Q1", "V1"]), ("gh", ["V1"]), ("ij", [])]


def test_every_grounded_span_is_highlighted_with_its_exact_text(service) -> None:
    result = _result(service)
    page = review_page(result, A003)
    highlighted = _highlighted(page)
    spans = [(q["id"], q["text"], q["start"]) for q in result["quotes"]]
    spans += [(r["id"], r["evidence"]["text"], r["evidence"]["start"])
              for r in [*result["events"], *result["positions"]]]
    assert spans, "the fixture should have spans"
    for record_id, text, start in spans:
        if start >= 0:
            assert highlighted[record_id] == text
            assert f'id="{record_id}"' in page  # the card a click leads to
    for entity in result["entities"]:
        assert html.escape(entity["name"]) in page
    assert 'dir="rtl"' in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_a_result_for_another_text_is_refused(service) -> None:
    result = _result(service)
    with pytest.raises(ValueError, match="article the result was extracted from"):
        review_page(result, "نص آخر تماما " * 200)


def test_post_view_answers_the_page_for_json_and_for_the_form(service) -> None:
    as_json = service.post("/view", json={"text": A003})
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"].startswith("text/html")
    as_form = service.post("/view", data={"text": A003, "published": ""})
    assert as_form.status_code == 200, as_form.text
    assert _highlighted(as_form.text) == _highlighted(as_json.text)
    form = service.get("/view")
    assert form.status_code == 200 and 'action="/view"' in form.text


def test_post_view_refuses_bad_input_like_extract(service) -> None:
    assert service.post("/view", data={"text": "   "}).status_code == 422
    assert service.post("/view", json={"text": A003, "published": "soon"}).status_code == 422
    assert service.post("/view", content=b"text", headers={
        "content-type": "text/plain"}).status_code == 415


def test_khabar_view_writes_the_page_from_a_saved_result(service, tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    result_path = tmp_path / "result.json"
    result_path.write_text(json.dumps(_result(service), ensure_ascii=False), encoding="utf-8")
    article_path = tmp_path / "article.txt"
    article_path.write_text(A003, encoding="utf-8")
    out = tmp_path / "page.html"
    done = subprocess.run([sys.executable, "-m", "service.cli", "view", str(result_path),
                           "--article", str(article_path), "--out", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert _highlighted(out.read_text(encoding="utf-8"))
