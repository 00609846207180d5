"""Verbatim stretches of an article that a quote or an evidence span could be.

A small model copies badly: asked for "the clause that reports the event", it paraphrases, or
copies its few-shot examples. Offering it the article's own clauses as the only strings it may
write (an ``enum`` in the JSON schema, hence a grammar) turns copying into choosing. The
candidates are sentences, their clauses, quoted stretches and reported-speech complements
("أكد أن …"), all exact substrings of the article.
"""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?؟])\s+|\n+")
_CLAUSE_BREAK = re.compile(r"\s*[،؛,;:]\s+|\s+(?=حيث\s)|\s+(?=مؤكد[اًا]?\s)|\s+(?=داعي[اًا]?\s)")
_QUOTED = re.compile(r"[\"“«]([^\"”»\n]{8,})[\"”»]")
_REPORTED = re.compile(r"\b(?:أن|إن|أنه|إنه)\s+(.{12,})")
_EDGES = re.compile(r'^[\s.،؛,;:"“”«»]+|[\s.،؛,;:"“”«»]+$')


def candidate_spans(text: str, *, min_chars: int = 12, max_chars: int = 400) -> list[str]:
    """Distinct verbatim stretches of ``text``, in order of first appearance."""
    found: list[tuple[int, str]] = []

    def keep(piece: str) -> None:
        piece = _EDGES.sub("", piece)
        # An ASCII quote or backslash inside a candidate does not survive llama.cpp's
        # schema-to-grammar conversion; the stretches on either side are candidates anyway.
        if '"' in piece or "\\" in piece:
            for part in piece.split('"'):
                if _EDGES.sub("", part) != piece:
                    keep(part)
            return
        if min_chars <= len(piece) <= max_chars:
            at = text.find(piece)
            if at >= 0:
                found.append((at, piece))

    for sentence in _SENTENCE_END.split(text):
        keep(sentence)
        for clause in _CLAUSE_BREAK.split(sentence):
            keep(clause)
        for match in _REPORTED.finditer(sentence):
            keep(match.group(1))
    for match in _QUOTED.finditer(text):
        keep(match.group(1))
    seen: set[str] = set()
    ordered = []
    for _, piece in sorted(found, key=lambda pair: pair[0]):
        if piece not in seen:
            seen.add(piece)
            ordered.append(piece)
    return ordered
