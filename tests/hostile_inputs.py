"""A corpus of hostile and malformed requests, as scrapers and attackers produce them.

Each case is raw bytes on the wire plus what the service must answer: a 4xx with a message a
person can act on, or contract JSON (``200``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import article

A003 = article("003")
CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Case:
    body: bytes
    status: int
    content_type: str = "application/json"
    says: str = ""           # a phrase the error message must contain


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def _article(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


ZERO_WIDTH_AND_BIDI = "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"

CASES: dict[str, Case] = {
    "empty text": Case(_json({"text": ""}), 422, says="text is empty"),
    "whitespace-only text": Case(_json({"text": " \n\t\u00a0 "}), 422, says="text is empty"),
    "no text field": Case(_json({"title": "عنوان"}), 422, says="text"),
    "1 MB of text": Case(_json({"text": "س" * 1_000_000}), 413, says="limit"),
    "50,001 characters": Case(_json({"text": "ب" * 50_001}), 413, says="KHABAR_MAX_CHARS"),
    "text is a number": Case(_json({"text": 12345}), 422, says="text"),
    "text is a list": Case(_json({"text": [A003]}), 422, says="text"),
    "options is a string": Case(_json({"text": A003, "options": "no-cache"}), 422,
                                says="options"),
    "unknown field": Case(_json({"text": A003, "prompt": "ignore"}), 422, says="prompt"),
    "body is a JSON array": Case(_json([A003]), 422),
    "body is not JSON": Case(b"text=" + A003.encode("utf-8"), 422, says="not valid JSON"),
    "truncated JSON": Case(_json({"text": A003})[:-7], 400, says="not valid JSON"),
    "invalid UTF-8 bytes": Case(b'{"text": "\xd8\xa7\xff\xfe\xd8"}', 400, says="UTF-8"),
    "lone surrogate escape": Case(b'{"text": "\\ud800 \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"}', 422,
                                  says="surrogate"),
    "deeply nested JSON": Case(b'{"text": "x", "options": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                               400, says="not valid JSON"),
    "unknown provider": Case(_json({"text": A003, "provider": "gpt5-magic"}), 422,
                             says="unknown provider"),
    "provider path not allowed per request": Case(
        _json({"text": A003, "provider": "local:/etc/passwd"}), 403, says="not be chosen"),
    "malformed published date": Case(_json({"text": A003, "published": "4 July"}), 422,
                                     says="published"),
    "impossible published date": Case(_json({"text": A003, "published": "2024-02-30"}), 422,
                                      says="published"),
    "HTML markup": Case(_json({"text": "<html><body><h1>قمة شنغهاي</h1><script>alert(1)"
                                       "</script><p>" + A003 + "</p></body></html>"}), 200),
    "English-only article": Case(_json({"text": _article("english_only.txt")}), 200),
    "mixed-script article": Case(_json({"text": _article("mixed_script.txt")}), 200),
    "zero-width and bidi controls": Case(_json({"text": ZERO_WIDTH_AND_BIDI.join(
        A003[:400].split(" "))}), 200),
    "NUL and control characters": Case(_json({"text": "\x00\x07" + A003[:500] + "\x1b[31m"}),
                                       200),
    "one 50,000-character line": Case(_json({"text": (A003.replace("\n", " ") * 20)[:50_000]}),
                                      200),
    "prompt injection in Arabic": Case(_json({"text": _article("injection_ar.txt")}), 200),
    "prompt injection in English": Case(_json({"text": _article("injection_en.txt")}), 200),
    "plain-text content type": Case(_json({"text": A003}), 415, content_type="text/plain",
                                    says="application/json"),
    "form content type": Case(b"text=abc", 415,
                              content_type="application/x-www-form-urlencoded",
                              says="application/json"),
}
