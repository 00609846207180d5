"""Long articles: split on boundaries with overlap, extracted chunk by chunk, merged with
nothing lost and nothing doubled at the seams."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from schemas.contract import ExtractRequest
from service.chunking import split
from service.extractor import Extractor
from service.settings import Settings
from tests.conftest import ARTICLES
from tests.openai_server import OpenAIServer, answer
from tests.servers import serve


def _paragraphs() -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted(ARTICLES.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.strip()) > 80:
                seen.setdefault(line.strip())
    return list(seen)


PARAGRAPHS = _paragraphs()
LONG = "\n".join(PARAGRAPHS)  # about 12,000 characters, 59 distinct paragraphs
# Small chunks, so that one long article makes many seams (and a draft holds a chunk's
# paragraphs); the longest paragraph (about 400 characters) fits in half a chunk.
CHUNK, OVERLAP = 1500, 300


def _head(paragraph: str) -> str:
    """The first words of a paragraph (at most 80 characters, whole words)."""
    return paragraph[:80].rsplit(" ", 1)[0]


def test_chunks_cover_the_article_cut_on_boundaries_and_overlap() -> None:
    chunks = split(LONG, CHUNK, OVERLAP)
    assert len(chunks) > 5
    assert chunks[0].start == 0 and chunks[-1].end == len(LONG)
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end, "consecutive chunks overlap"
        assert before.end - after.start <= OVERLAP
        assert LONG[after.start - 1].isspace() and LONG[before.end - 1].isspace()
    assert all(c.end - c.start <= CHUNK for c in chunks)
    # No paragraph is cut: each lies whole inside some chunk.
    for paragraph in PARAGRAPHS:
        at = LONG.index(paragraph)
        assert any(c.start <= at and at + len(paragraph) <= c.end for c in chunks)


@pytest.mark.parametrize("text", ["كلمة " * 3000, "x" * 7000, "جملة قصيرة. " * 900])
def test_text_without_paragraphs_still_splits_within_the_limit(text: str) -> None:
    chunks = split(text, 2000, 300)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    assert all(0 < c.end - c.start <= 2000 for c in chunks)
    assert all(b.start <= a.end for a, b in zip(chunks, chunks[1:]))


def _reader(body: dict[str, Any]) -> Any:
    """A provider that reports, for the text it is sent, the opening words of every whole
    paragraph in it, as a quote and as an event."""
    text = body["messages"][-1]["content"].split("Article:\n", 1)[-1]
    heads = [_head(line) for line in text.splitlines() if line.strip() in PARAGRAPHS]
    assert len(heads) <= 12, "the test's chunks are too big for one draft"
    return answer({
        "entities": [{"name": "روسيا", "type": "country", "name_en": "Russia"}],
        "events": [{"evidence": h, "type": "CONSULT", "mode": "meet", "summary_en": "x",
                    "participants": [], "status": "occurred"} for h in heads],
        "quotes": [{"speaker": "روسيا", "cue": "قال", "kind": "direct", "text": h}
                   for h in heads],
        "positions": []})


def _settings(tmp_path: Path, url: str = "http://127.0.0.1:9/v1") -> Settings:
    return Settings(cache_dir=tmp_path / "cache", provider="openai:test-model",
                    openai_base_url=url, openai_api_key="sk-test", chunk_chars=CHUNK,
                    chunk_overlap_chars=OVERLAP)


def test_a_long_article_loses_nothing_and_doubles_nothing_at_the_seams(tmp_path: Path) -> None:
    fake = OpenAIServer(responder=_reader)
    with serve(fake.app()) as url:
        result = Extractor(_settings(tmp_path, f"{url}/v1")).extract(ExtractRequest(text=LONG))

    chunks = split(LONG, CHUNK, OVERLAP)
    assert len(fake.requests) == len(chunks) > 5
    expected = sorted(LONG.index(_head(p)) for p in PARAGRAPHS)
    assert sorted(q.start for q in result.quotes) == expected
    assert sorted(e.evidence.start for e in result.events) == expected
    for q in result.quotes:
        assert LONG[q.start:q.end] == q.text and q.grounding == "exact"
    assert [q.id for q in result.quotes] == [f"Q{n}" for n in range(1, len(expected) + 1)]
    assert [e.name for e in result.entities] == ["روسيا"]
    assert result.meta.warnings[0].startswith(f"extracted in {len(chunks)} chunks")
    # Some paragraphs were read twice (in an overlap) and still appear once.
    twice = [p for p in PARAGRAPHS if sum(
        c.start <= LONG.index(p) and LONG.index(p) + len(p) <= c.end for c in chunks) > 1]
    assert twice


def test_a_chunked_article_is_cached_chunk_by_chunk(tmp_path: Path) -> None:
    fake = OpenAIServer(responder=_reader)
    with serve(fake.app()) as url:
        extractor = Extractor(_settings(tmp_path, f"{url}/v1"))
        first = extractor.extract(ExtractRequest(text=LONG))
        calls = len(fake.requests)
        again = extractor.extract(ExtractRequest(text=LONG))
    assert len(fake.requests) == calls and again.meta.cached is True
    assert again.quotes == first.quotes and re.match(r"extracted in \d+ chunks",
                                                      again.meta.warnings[0])


def test_a_prompt_echo_in_one_chunk_is_withheld_and_the_rest_kept(tmp_path: Path) -> None:
    from service.prompting import load_prompts

    settings = _settings(tmp_path)
    # What the openai provider is asked with: the remote prompt set.
    echo = " ".join(load_prompts(settings.prompts_dir,
                                 settings.remote_prompt_name).system.split()[:14])

    def leaky(body: dict[str, Any]) -> Any:
        action = _reader(body)
        draft = __import__("json").loads(action.content)
        draft["quotes"].append({"speaker": "روسيا", "cue": "قال", "kind": "direct",
                                "text": echo})
        return answer(draft)

    fake = OpenAIServer(responder=leaky)
    with serve(fake.app()) as url:
        result = Extractor(settings.model_copy(update={"openai_base_url": f"{url}/v1"})
                           ).extract(ExtractRequest(text=LONG))
    assert all(echo not in q.text for q in result.quotes)
    assert len(result.quotes) == len(PARAGRAPHS)
    assert any(w.startswith("withheld") for w in result.meta.warnings)
