"""Words, clitics, sentences and quotation marks of an Arabic article, with exact offsets.

Pure functions. Every regex here is a single character class repeated, so matching is linear
in the length of the text whatever the input (no nested quantifiers, no backtracking).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from service.normalize import normalize

# A word: letters, digits, and the marks that sit inside Arabic words (diacritics, tatweel).
_WORD = re.compile(r"[\w\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06ED]+")

OPENING = {"«": "»", "“": "”", "„": "”", "‹": "›"}
STRAIGHT = '"'
SENTENCE_END = ".!?؟"


@dataclass(frozen=True, slots=True)
class Token:
    index: int
    start: int
    end: int
    text: str
    norm: str


@lru_cache(maxsize=65_536)
def fold(word: str) -> str:
    return normalize(word)


def tokenize(text: str) -> list[Token]:
    return [Token(i, m.start(), m.end(), m.group(), fold(m.group()))
            for i, m in enumerate(_WORD.finditer(text))]


# Words whose first letter only looks like a clitic and whose rest is a lexicon word:
# "فيصل" is a name, not ف + "يصل" (arrives).
_WHOLE = frozenset({"فيصل", "فيصلا"})


@lru_cache(maxsize=65_536)
def bases(norm: str) -> tuple[tuple[str, int], ...]:
    """Readings of a word with its clitic prefixes taken off, each with how many letters the
    prefixes took: و/ف (conjunction), then ب/ل/ك (preposition), with لل read as ل + ال."""
    out: list[tuple[str, int]] = [(norm, 0)]
    stems = [(norm, 0)]
    if norm in _WHOLE:
        return tuple(out)
    if len(norm) > 2 and norm[0] in "وف":
        stems.append((norm[1:], 1))
        out.append((norm[1:], 1))
    for stem, cut in list(stems):
        # The future prefix: سيلتقي is يلتقي to come (the analysis marks it planned).
        if len(stem) > 4 and stem[0] == "س" and stem[1] in "يتن":
            out.append((stem[1:], cut + 1))
    for stem, cut in stems:
        if len(stem) > 3 and stem.startswith("لل"):
            # للمنظمة → المنظمة; the span keeps both lams, as the article has no "المنظمة".
            out.append(("ا" + stem[1:], cut))
        if len(stem) > 3 and stem[0] in "بلك":
            out.append((stem[1:], cut + 1))
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=65_536)
def bases_and_bare(norm: str) -> tuple[tuple[str, int], ...]:
    """:func:`bases` and, last, each reading without its article (المحادثات → محادثات), for
    lexicons of common nouns. Names are never read this way: "المالي" is not Mali."""
    out = list(bases(norm))
    for stem, cut in list(out):
        if len(stem) > 4 and stem.startswith("ال"):
            out.append((stem[2:], cut + 2))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True, slots=True)
class Region:
    start: int  # first character inside the marks
    end: int    # the closing mark
    open: str


def quoted_regions(text: str) -> list[Region]:
    """Stretches inside quotation marks, paired within a paragraph. Curly and angle marks pair
    with their closer; straight marks pair in order. An unclosed mark is ignored."""
    regions: list[Region] = []
    for para_start, para in _paragraphs(text):
        stack: list[tuple[str, int]] = []
        straight: int | None = None
        for i, ch in enumerate(para):
            if ch in OPENING:
                if stack and stack[-1][0] == ch:
                    stack.pop()  # the same mark again before a close: the first one is stray
                stack.append((ch, i))
            elif stack and ch == OPENING[stack[-1][0]]:
                opener, at = stack.pop()
                if not stack:
                    regions.append(Region(para_start + at + 1, para_start + i, opener))
            elif ch in OPENING.values() and any(OPENING[o] == ch for o, _ in stack):
                # A closer for an outer mark: the inner ones never closed; drop them.
                while OPENING[stack[-1][0]] != ch:
                    stack.pop()
                opener, at = stack.pop()
                if not stack:
                    regions.append(Region(para_start + at + 1, para_start + i, opener))
            elif ch == STRAIGHT:
                if straight is None:
                    straight = i
                else:
                    if not stack:
                        regions.append(Region(para_start + straight + 1, para_start + i, '"'))
                    straight = None
    regions.sort(key=lambda r: r.start)
    return regions


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, line))
        at += len(line) + 1
    return out


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int   # exclusive, before the final stop


def sentences(text: str, regions: list[Region]) -> list[Sentence]:
    """Sentences split at . ! ? ؟ followed by a space, and at line breaks; a stop inside
    quotation marks does not end the sentence that carries the quote."""
    inside = [False] * (len(text) + 1)
    for r in regions:
        for i in range(r.start, r.end):
            inside[i] = True
    out: list[Sentence] = []
    start = 0
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        cut = None
        if ch == "\n":
            cut = i
        elif ch in SENTENCE_END and not inside[i] and (i + 1 == n or text[i + 1].isspace()
                                                       or text[i + 1] in "\"»”"):
            cut = i
        if cut is not None:
            _add(out, text, start, cut)
            start = i + 1
        i += 1
    _add(out, text, start, n)
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in SENTENCE_END):
        end -= 1
    if end > start:
        out.append(Sentence(start, end))


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds without surrounding spaces, commas, stops or unpaired quotation marks."""
    junk = " \t\r\n،,.;؛:-–—"
    while start < end and text[start] in junk:
        start += 1
    while end > start and text[end - 1] in junk:
        end -= 1
    return start, end


def chars_for(written: str, letters: int) -> int:
    """How many characters of ``written`` hold its first ``letters`` letters (marks skipped)."""
    if not letters:
        return 0
    seen = 0
    for pos, ch in enumerate(written):
        if fold(ch):
            seen += 1
            if seen == letters:
                # The marks on the last clitic letter (the fatha of "وَ") stay with it.
                end = pos + 1
                while end < len(written) and not fold(written[end]):
                    end += 1
                return end
    return len(written)
