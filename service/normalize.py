"""Arabic text normalisation, with a map back to the original offsets.

The folding follows the contract's scoring rules (diacritics and tatweel removed, alef/hamza
forms to bare letters, ى→ي, ة→ه, Arabic-Indic digits to ASCII, whitespace folded), with the
letter inventories taken from pyarabic. Grounding needs to know where each normalised character
came from, so :func:`normalize_with_map` returns that index alongside the folded text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyarabic.araby as araby

_INVISIBLE = "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"
_QUOTES = "\"“”„‟«»‹›″❝❞＂"


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for ch in (*araby.DIACRITICS, araby.TATWEEL, *_INVISIBLE):
        table[ord(ch)] = ""
    for ch in (araby.ALEF_HAMZA_ABOVE, araby.ALEF_HAMZA_BELOW, araby.ALEF_MADDA, araby.ALEF_WASLA):
        table[ord(ch)] = araby.ALEF
    table[ord(araby.ALEF_MAKSURA)] = araby.YEH
    table[ord(araby.TEH_MARBUTA)] = araby.HEH
    table[ord(araby.WAW_HAMZA)] = araby.WAW
    table[ord(araby.YEH_HAMZA)] = araby.YEH
    table[ord(araby.LAM_ALEF)] = araby.LAM + araby.ALEF
    table[ord(araby.LAM_ALEF_HAMZA_ABOVE)] = araby.LAM + araby.ALEF
    table[ord(araby.LAM_ALEF_HAMZA_BELOW)] = araby.LAM + araby.ALEF
    table[ord(araby.LAM_ALEF_MADDA_ABOVE)] = araby.LAM + araby.ALEF
    for digits in (araby.NUMBERS_EAST, araby.NUMBERS_PERS):
        for value, ch in enumerate(digits):
            table[ord(ch)] = str(value)
    for ch in _QUOTES:
        table[ord(ch)] = '"'
    return table


class _FoldTable(dict[int, str]):
    """Code point -> folded form, filled the first time each character is met; also a
    ``str.translate`` table. Bounded so that text crafted to contain every code point cannot
    grow it without end."""

    MAX = 65_536

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        folded = " " if ch.isspace() else _table().get(code, ch).lower()
        if len(self) < self.MAX:
            self[code] = folded
        return folded


_FOLDED = _FoldTable()
_SPACES = re.compile(" {2,}")


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text``; ``index[i]`` is the offset in ``text`` of normalised character ``i``.

    Runs of whitespace become one space and leading/trailing whitespace is dropped, so a
    normalised needle can be searched in a normalised haystack regardless of line breaks.
    """
    out: list[str] = []
    index: list[int] = []
    folded_of = _FOLDED.__getitem__
    last = " "  # so leading whitespace is dropped
    for i, ch in enumerate(text):
        folded = folded_of(ord(ch))
        if not folded:
            continue
        if folded == " ":
            if last == " ":
                continue
        out.append(folded)
        if len(folded) == 1:
            index.append(i)
        else:
            index.extend([i] * len(folded))
        last = folded[-1]
    if out and out[-1] == " ":
        out.pop()
        index.pop()
    return "".join(out), index


def normalize(text: str) -> str:
    """The normalised form of ``text`` (see module doc); same result as
    ``normalize_with_map(text)[0]``, without building the map."""
    return _SPACES.sub(" ", text.translate(_FOLDED)).strip(" ")
