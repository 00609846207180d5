"""The language knowledge the analysis reads, loaded once from the TOML files in ``data/``.

Lexicon files are for people to read and extend: each entry lists forms as written, and this
module folds them (``service.normalize``) and indexes them by first word for the matcher.
Country names come from CLDR through Babel; ``data/countries.toml`` adds what CLDR lacks.
``Lexicon.version`` is a digest of the data files and of the layer's own code, so editing a
lexicon or a rule changes the cache key (a cached answer of older rules is never served).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from babel import Locale

from service.arabic.text import Token, bases, bases_and_bare, fold, tokenize

DATA = Path(__file__).parent / "data"
P = TypeVar("P")


def words(form: str) -> tuple[str, ...]:
    return tuple(t.norm for t in tokenize(form))


@dataclass
class Match(Generic[P]):
    start: int          # first token index
    end: int            # one past the last token
    cut: int            # letters of clitic prefixes on the first token
    payload: P


class _Node(Generic[P]):
    __slots__ = ("next", "payloads")

    def __init__(self) -> None:
        self.next: dict[str, _Node[P]] = {}
        self.payloads: list[P] = []


# Possessive pronouns a noun takes: زيارته، اجتماعهم، محادثاتهما.
_PRONOUNS = ("ه", "ها", "هما", "هم", "هن")


def with_pronouns(form: str) -> list[str]:
    """A one-word noun with each possessive pronoun attached (ta marbuta opens to ت)."""
    seq = words(form)
    if len(seq) != 1 or seq[0].endswith("ا"):  # an accusative "اجتماعا" takes none
        return []
    stem = seq[0][:-1] + "ت" if seq[0].endswith(("ه", "ة")) else seq[0]
    return [stem + p for p in _PRONOUNS]


class PhraseMatcher(Generic[P]):
    """Longest match of multi-word forms at a token, the first word read with or without its
    clitic prefixes. The forms are a trie of words, so a lookup costs the length of the
    longest form, however many forms share a first word."""

    def __init__(self, clitics: bool = True, article: bool = False) -> None:
        self._root: dict[str, _Node[P]] = {}
        self.clitics = clitics
        self.article = article  # also read a word without its article (common nouns only)

    def add(self, form: str, payload: P) -> None:
        seq = words(form)
        if not seq:
            return
        node = self._root.setdefault(seq[0], _Node())
        for word in seq[1:]:
            node = node.next.setdefault(word, _Node())
        node.payloads.append(payload)

    def __contains__(self, norm: str) -> bool:
        return norm in self._root

    def at(self, tokens: Sequence[Token], i: int) -> Match[P] | None:
        best: Match[P] | None = None
        readings = ((tokens[i].norm, 0),) if not self.clitics else (
            bases_and_bare(tokens[i].norm) if self.article else bases(tokens[i].norm))
        for first, cut in readings:
            node = self._root.get(first)
            k = i + 1
            while node is not None:
                if node.payloads:
                    n = k - i
                    if best is None or n > best.end - best.start or (
                            n == best.end - best.start and cut < best.cut):
                        best = Match(i, k, cut, node.payloads[0])
                if k >= len(tokens):
                    break
                node = node.next.get(tokens[k].norm)
                k += 1
        return best

    def scan(self, tokens: Sequence[Token], lo: int = 0, hi: int | None = None
             ) -> list[Match[P]]:
        hi = len(tokens) if hi is None else hi
        out, i = [], lo
        while i < hi:
            m = self.at(tokens, i)
            if m is not None and m.end <= hi:
                out.append(m)
                i = m.end
            else:
                i += 1
        return out


@dataclass(frozen=True)
class Cue:
    lemma: str
    role: str
    opens: tuple[tuple[str, ...], ...]
    bare: bool
    form: str


@dataclass(frozen=True)
class Trigger:
    type: str
    mode: str
    kind: str
    needs: frozenset[str]
    unless: frozenset[str] = frozenset()
    # Matched with a possessive pronoun (زيارته): it points back, like a noun with the article.
    owned: bool = False


@dataclass(frozen=True)
class StanceCue:
    stance: str
    topic: str


@dataclass(frozen=True)
class Known:
    """An actor the gazetteer knows: a country, organisation, agency or person."""

    name: str
    type: str
    en: str | None
    country: str | None
    key: str            # one key per actor, so that every form of it links to one entity
    form: str = "name"  # name · alias · nisba · capital · ref


@dataclass(frozen=True)
class Title:
    en: str
    refers_back: bool


@dataclass
class Lexicon:
    cues: PhraseMatcher[Cue] = field(default_factory=PhraseMatcher)
    narration: PhraseMatcher[str] = field(default_factory=PhraseMatcher)
    triggers: PhraseMatcher[Trigger] = field(
        default_factory=lambda: PhraseMatcher(article=True))
    stances: PhraseMatcher[StanceCue] = field(
        default_factory=lambda: PhraseMatcher(article=True))
    courtesies: set[str] = field(default_factory=set)
    titles: PhraseMatcher[Title] = field(default_factory=PhraseMatcher)
    honorifics: set[str] = field(default_factory=set)
    actors: PhraseMatcher[Known] = field(default_factory=PhraseMatcher)
    nisbas: dict[str, str] = field(default_factory=dict)        # folded nisba → ISO code
    countries: dict[str, Known] = field(default_factory=dict)   # ISO code → the country
    cities: dict[str, str] = field(default_factory=dict)        # folded city → English
    places: PhraseMatcher[str] = field(default_factory=PhraseMatcher)  # any place → English
    status: dict[str, PhraseMatcher[str]] = field(default_factory=dict)
    org_refs: dict[str, list[str]] = field(default_factory=dict)  # folded ref → actor keys
    version: str = ""


def read_data(name: str) -> dict[str, Any]:
    with (DATA / name).open("rb") as fh:
        return tomllib.load(fh)


def _digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


# CLDR codes that name no state (regions, groupings, placeholders).
_NOT_STATES = {"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ", "AQ", "BV", "HM", "UM", "IC", "EA",
               "DG", "CP", "CQ", "TA", "AC"}


def _strip_parenthesis(name: str) -> str:
    return name.split("(")[0].strip()


def regular_nisba(name: str) -> str | None:
    """The masculine nisba with the article (روسيا → الروسي), by the regular rule."""
    stem = fold(name)
    if " " in stem:
        return None
    if stem.startswith("ال"):
        stem = stem[2:]
    if stem.endswith("يا") and len(stem) > 4:
        stem = stem[:-2]
    elif stem.endswith("ا") or stem.endswith("ه"):
        stem = stem[:-1]
    if len(stem) < 2:
        return None
    return "ال" + stem + "ي"


@lru_cache(maxsize=1)
def load() -> Lexicon:
    lex = Lexicon(version=_digest([*DATA.glob("*.toml"), *DATA.parent.glob("*.py")]))

    for form in read_data("cues.toml").get("narration", []):
        lex.narration.add(form, form)
    for entry in read_data("cues.toml")["cue"]:
        opens = tuple(words(o) for o in entry.get("opens", []))
        for form in entry["forms"]:
            lex.cues.add(form, Cue(entry["lemma"], entry["role"], opens,
                                   bool(entry.get("bare")), form))

    triggers = read_data("triggers.toml")
    for entry in triggers["trigger"]:
        t = Trigger(entry["type"], entry["mode"], entry["kind"],
                    frozenset(fold(n) for n in entry.get("needs", [])),
                    frozenset(fold(n) for n in entry.get("unless", [])))
        for form in entry["forms"]:
            lex.triggers.add(form, t)
            if t.kind == "noun":
                for owned in with_pronouns(form):
                    lex.triggers.add(owned, replace(t, owned=True))
    for status, forms in triggers["status"].items():
        matcher: PhraseMatcher[str] = PhraseMatcher()
        for form in forms:
            matcher.add(form, status)
        lex.status[status] = matcher

    stances = read_data("stances.toml")
    for entry in stances["stance"]:
        cue = StanceCue(entry["stance"], entry["topic"])
        for form in entry["forms"]:
            lex.stances.add(form, cue)
    lex.courtesies = {fold(f) for f in stances["not_stance"]["forms"]}

    titles = read_data("titles.toml")
    for entry in titles["title"]:
        t = Title(entry["en"], bool(entry.get("refers_back")))
        for form in entry["forms"]:
            lex.titles.add(form, t)
    lex.honorifics = {words(f)[0] for f in titles["honorific"]["forms"] if words(f)}

    _load_countries(lex)
    _load_orgs(lex)
    _load_people(lex)
    return lex


def _load_countries(lex: Lexicon) -> None:
    extra = read_data("countries.toml")
    ar, en = Locale("ar").territories, Locale("en").territories
    for code, name in ar.items():
        if len(code) != 2 or not code.isalpha() or code in _NOT_STATES:
            continue
        name = _strip_parenthesis(name)
        known = Known(name, "country", en.get(code), code, f"country:{code}")
        lex.countries[code] = known
        lex.actors.add(name, known)
        nisba = regular_nisba(name)
        if nisba:
            lex.nisbas.setdefault(nisba, code)
    for code, forms in extra["aliases"].items():
        base = lex.countries[code]
        for form in forms:
            lex.actors.add(form, Known(form, "country", base.en, code, base.key, "alias"))
    for code, forms in extra["nisba"].items():
        for form in forms:
            lex.nisbas[fold(form)] = code
    for code, forms in extra["capitals"].items():
        base = lex.countries[code]
        for form in forms:
            lex.actors.add(form, Known(form, "country", base.en, code, base.key, "capital"))
            lex.places.add(form, base.en or form)
    for name, english in extra["cities"].items():
        lex.cities[fold(name)] = english
        lex.places.add(name, english)


def _load_orgs(lex: Lexicon) -> None:
    data = read_data("organizations.toml")
    for kind in ("org", "agency"):
        for entry in data.get(kind, []):
            key = f"{kind}:{entry['name']}"
            known = Known(entry["name"], "organization", entry.get("en"),
                          entry.get("country"), key)
            lex.actors.add(entry["name"], known)
            for form in [*entry.get("aliases", []), *entry.get("latin", [])]:
                lex.actors.add(form, Known(entry["name"], "organization", entry.get("en"),
                                           entry.get("country"), key, "alias"))
            for ref in entry.get("refs", []):
                lex.org_refs.setdefault(fold(ref), []).append(key)


def _load_people(lex: Lexicon) -> None:
    for entry in read_data("people.toml").get("person", []):
        key = f"person:{entry['name']}"
        for i, form in enumerate([entry["name"], *entry.get("aliases", [])]):
            lex.actors.add(form, Known(entry["name"], "person", entry.get("en"),
                                       entry.get("country"), key, "name" if i == 0 else "alias"))


def nisba_country(lex: Lexicon, norm: str) -> str | None:
    """ISO code of a folded nisba adjective, masculine or feminine (الروسي، الروسيه)."""
    if norm in lex.nisbas:
        return lex.nisbas[norm]
    if norm.endswith("ه") and norm[:-1] in lex.nisbas:
        return lex.nisbas[norm[:-1]]
    return None
