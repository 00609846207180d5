"""Date and place phrases inside a clause, resolved with ``service.dates``."""

from __future__ import annotations

import datetime as dt

from service.arabic.lexicon import Lexicon
from service.arabic.text import Token, bases, chars_for
from service.dates import _MONTHS, _RELATIVE, _WEEKDAYS, resolve_date

_MONTH_WORDS = {name.split()[0] for name, _ in _MONTHS}
_DATE_GLUE = {"يومي", "يوم", "في", "و", "من", "الي", "حتي", "عام", "العام", "مطلع", "اواخر",
              "اوائل", "منتصف", "نهايه", "بدايه", "الجاري", "الماضي", "المقبل", "القادم",
              "الاول", "الثاني", "مساء", "صباح", "امس", "اليوم", "غدا"}


def _is_date_word(t: Token) -> bool:
    for b, _ in bases(t.norm):
        if b in _MONTH_WORDS or b in _WEEKDAYS or b in _RELATIVE:
            return True
    digits = t.norm[1:] if t.norm[:1] == "و" else t.norm  # "يومي 17 و18 نوفمبر"
    return digits.isdigit() and len(digits) in (1, 2, 4)


def find_date(text: str, tokens: list[Token], lo: int, hi: int, published: dt.date | None
              ) -> tuple[str, str | None, str | None] | None:
    """The first date phrase in tokens [lo, hi): (text as written, value, end)."""
    i = lo
    while i < hi:
        t = tokens[i]
        anchored = _is_date_word(t) and not (t.norm.isdigit() and len(t.norm) <= 2 and not (
            i + 1 < hi and _is_date_word(tokens[i + 1])))
        if anchored:
            j = i
            while j + 1 < hi and (_is_date_word(tokens[j + 1]) or tokens[j + 1].norm in
                                  _DATE_GLUE or tokens[j + 1].norm in ("تموز", "اب")):
                j += 1
            start = i
            if start > lo and tokens[start - 1].norm in ("يوم", "يومي", "في", "عام", "العام"):
                start -= 1
            while j > i and tokens[j].norm in ("في", "و", "من", "الي"):
                j -= 1
            phrase = text[tokens[start].start:tokens[j].end]
            if t.norm.isdigit() and len(t.norm) == 4 and start == i and j == i:
                if not (i > lo and tokens[i - 1].norm in ("في", "عام", "العام")):
                    i += 1
                    continue
            value, end = resolve_date(phrase, published)
            return phrase, value, end
        i += 1
    return None


def find_place(lex: Lexicon, tokens: list[Token], lo: int, hi: int
               ) -> tuple[int, int, str | None] | None:
    """A place after في/إلى or a joined ب (a capital, city or country): character offsets of
    the place as written (with "العاصمة …" when written) and its English name."""
    for i in range(lo, hi):
        t = tokens[i]
        prep = t.norm in ("في", "الي", "الى")
        k = i + 1 if prep else i
        first = k
        if k < hi and tokens[k].norm in ("العاصمه", "مدينه", "بمدينه", "بالعاصمه"):
            k += 1
            while k < hi and k - first < 3 and lex.places.at(tokens, k) is None:
                k += 1
        if k >= hi:
            continue
        m = lex.places.at(tokens, k)
        if m is None or m.end > hi:
            continue
        if not prep and first == k and not (m.cut and tokens[k].norm[0] == "ب"):
            continue
        cut = m.cut if first == k else 0
        start = tokens[first].start + chars_for(tokens[first].text, cut)
        return start, tokens[m.end - 1].end, m.payload
    return None
