"""Find a model's verbatim text in the article and set trustworthy offsets.

A model never supplies offsets we trust. Each piece of text it returns is looked up in the
article: first exactly, then after Arabic normalisation (hamza/alef forms, ta marbuta,
diacritics, whitespace), then by fuzzy alignment (rapidfuzz). Whatever matches, the span's text
becomes the article's own characters, so ``article[start:end] == span.text`` holds for every
grounded span; ``grounding`` says how the match was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from rapidfuzz import fuzz

from service.normalize import normalize, normalize_with_map

Grounding = Literal["exact", "fuzzy", "none"]

# Characters a model tends to wrap quotes in, or leave dangling at either end.
_TRIM = " \t\r\n\"'“”„‟«»‹›″❝❞＂:؛,،."


@dataclass(frozen=True)
class Located:
    text: str
    start: int
    end: int
    grounding: Grounding


class ArticleIndex:
    """An article prepared once for many look-ups (normalised text and its offset map)."""

    def __init__(self, text: str, *, fuzzy_threshold: float = 85.0, min_fuzzy_chars: int = 8):
        self.text = text
        self.fuzzy_threshold = fuzzy_threshold
        self.min_fuzzy_chars = min_fuzzy_chars

    # Both built on first need. The offset map is the costly one, and when every needle is
    # found verbatim it is never built.
    @cached_property
    def norm(self) -> str:
        return normalize(self.text)

    @cached_property
    def _map(self) -> list[int]:
        return normalize_with_map(self.text)[1]

    def _span(self, norm_start: int, norm_end: int) -> tuple[int, int]:
        return self._map[norm_start], self._map[norm_end - 1] + 1

    def _widen_to_words(self, start: int, end: int) -> tuple[int, int]:
        # A fuzzy alignment can stop inside a word; readers expect whole words.
        text = self.text
        while start > 0 and not text[start - 1].isspace() and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and not text[end].isspace() and text[end].isalnum():
            end += 1
        return start, end

    def locate(self, needle: str) -> Located:
        """Where ``needle`` lies in the article, and how sure we are."""
        raw = needle.strip()
        if raw:
            at = self.text.find(raw)
            if at >= 0:
                return Located(raw, at, at + len(raw), "exact")
        trimmed = raw.strip(_TRIM)
        if not trimmed:
            return Located(needle, -1, -1, "none")
        at = self.text.find(trimmed)
        if at >= 0:
            return Located(trimmed, at, at + len(trimmed), "exact")

        norm_needle, _ = normalize_with_map(trimmed)
        norm_needle = norm_needle.strip(_TRIM)
        if not norm_needle:
            return Located(needle, -1, -1, "none")
        at = self.norm.find(norm_needle)
        if at >= 0:
            start, end = self._span(at, at + len(norm_needle))
            return Located(self.text[start:end], start, end, "fuzzy")

        if len(norm_needle) >= self.min_fuzzy_chars and self.norm:
            found = fuzz.partial_ratio_alignment(norm_needle, self.norm,
                                                 score_cutoff=self.fuzzy_threshold)
            # The alignment must cover most of the needle, not a lucky fragment of it.
            if found is not None and (found.src_end - found.src_start) >= 0.8 * len(norm_needle) \
                    and found.dest_end > found.dest_start:
                start, end = self._span(found.dest_start, found.dest_end)
                start, end = self._widen_to_words(start, end)
                return Located(self.text[start:end], start, end, "fuzzy")
        return Located(needle, -1, -1, "none")


def locate(article: str, needle: str) -> Located:
    """One-off look-up; prefer :class:`ArticleIndex` for many needles in one article."""
    return ArticleIndex(article).locate(needle)
