"""A review page for one extraction: the article right to left with every grounded span
highlighted by kind, and every record's fields a click (or a hover) away.

Pure: a response and its article text in, one self-contained HTML string out (inline CSS, no
script needed, nothing fetched from elsewhere). Links from spans to record cards are plain
anchors, so the page works with JavaScript off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from schemas.contract import ExtractionResponse

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html", "jinja"]), trim_blocks=True, lstrip_blocks=True)


@dataclass
class Segment:
    """A stretch of the article and the spans (kind, record id, note) covering all of it."""

    text: str
    kinds: list[str] = field(default_factory=list)
    records: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def segments(text: str, spans: list[tuple[int, int, str, str, str]]) -> list[Segment]:
    """Cut ``text`` at every span boundary; ``spans`` are (start, end, kind, record id, note).
    Spans outside the text (ungrounded: -1) are ignored."""
    valid = [s for s in spans if 0 <= s[0] < s[1] <= len(text)]
    cuts = sorted({0, len(text), *(s[0] for s in valid), *(s[1] for s in valid)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [s for s in valid if s[0] <= a and b <= s[1]]
        out.append(Segment(text[a:b], sorted({s[2] for s in covering}),
                           [s[3] for s in covering], [s[4] for s in covering]))
    return out


@dataclass(frozen=True)
class _Marked:
    kind: str
    id: str
    text: str
    start: int
    end: int
    note: str


def _marked(response: ExtractionResponse, names: dict[str, str]) -> list[_Marked]:
    """Every quote and every piece of evidence, with a one-line note for hovering."""
    out = [_Marked("quote", q.id, q.text, q.start, q.end,
                   f"{q.id} quote ({q.kind}) by {names.get(q.speaker, q.speaker)}")
           for q in response.quotes]
    out += [_Marked("event", v.id, v.evidence.text, v.evidence.start, v.evidence.end,
                    f"{v.id} event {v.type}/{v.mode}: {v.summary_en}") for v in response.events]
    out += [_Marked("position", p.id, p.evidence.text, p.evidence.start, p.evidence.end,
                    f"{p.id} position of {names.get(p.holder, p.holder)}: {p.stance} "
                    f"{p.topic_en}") for p in response.positions]
    return out


def review_page(response: ExtractionResponse | dict[str, Any], text: str) -> str:
    """The HTML review page for ``response``, an extraction of ``text``."""
    if not isinstance(response, ExtractionResponse):
        response = ExtractionResponse.model_validate(response)
    names = {e.id: e.name for e in response.entities}
    marked = _marked(response, names)
    for m in marked:
        if m.start >= 0 and text[m.start:m.end] != m.text:
            raise ValueError(f"{m.kind} {m.id} does not lie at [{m.start}, {m.end}) of this "
                             "text: is it the article the result was extracted from?")
    ungrounded = [(m.id, m.kind) for m in marked if m.start < 0]
    return _TEMPLATES.get_template("review.html.jinja").render(
        r=response, names=names, ungrounded=ungrounded,
        grounded=len(marked) - len(ungrounded),
        segments=segments(text, [(m.start, m.end, m.kind, m.id, m.note) for m in marked]))
