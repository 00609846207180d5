"""Who the article names: people by title and name, states, capitals, bodies, and the later
references (surname, title alone, "الجانب الروسي", "المنظمة") linked back to them.

Pure logic over tokens. One pass left to right finds mentions; a second pass links surnames of
the people found. Every mention keeps exact character offsets.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import lru_cache

from service.arabic.lexicon import Known, Lexicon, Match, nisba_country, read_data, words
from service.arabic.text import Token, bases, chars_for, fold

_UNQUOTE = str.maketrans("", "", "\"«»“”'")
_STOP_PUNCT = set(",،.:;؛()[]«»\"“”!?؟")
_CONNECTORS = {"بن", "بنت", "ابن", "ال", "عبد", "ابو", "ابي", "ام", "ولد", "فان", "دي", "فون"}
# Heads of a state's collective reference: "الجانب الروسي" is Russia.
_SIDE_HEADS = {"الجانب", "السلطات", "القياده", "الحكومه", "الدوله", "الوفد"}
_COUNTERPART = {"نظيره", "نظيرته", "نظيرها", "نظيريه", "نظيرهما", "نظرائه"}
_LOCATIVE = {"في", "الي", "من", "الى", "داخل", "بين", "نحو", "عاصمه", "العاصمه"}
_MINISTRY = {"وزاره"}
# Words that continue a title rather than start a name ("المندوبة الدائمة").
_TITLE_WORDS = frozenset(fold(w) for w in (
    "الخارجية", "الدولة", "العام", "الخاص", "الدائم", "الرسمي", "السابق", "المساعد", "الخاصة",
    "الدائمة", "الرسمية", "الصحفي", "الصحفية", "الأعلى", "العليا", "الأمم", "المتحدة",
    "الأول", "الأولى", "التنفيذي", "التنفيذية", "القانوني", "السياسي"))
# Heads of an organ's name (folded) → English.
_ORGAN_HEADS = {"مجلس": "Council", "المجلس": "Council", "الامانه": "Secretariat",
                "امانه": "Secretariat"}
_ORGAN_QUALIFIERS = {"العامه", "التنفيذيه", "الوزاري", "الاعلي", "الدايمه"}
_LOOKBACK = 40  # people a role reference may point back to
_ANYONE = {"دبلوماسي", "مسوول", "دبلوماسيه", "مسووله"}
_AGENCY_CONTEXT = {"وكاله", "لوكاله", "نقلت", "نقل", "ذكرت", "افادت", "بحسب", "حسب", "تصريح",
                   "تصريحات", "مقابله", "حديث", "وفقا", "اوردت", "قالت", "نشرت", "الانباء"}
_COMMON_GIVEN = {"محمد", "احمد", "علي", "عبد", "بن", "حسن", "حسين", "عمر", "خالد", "سعد"}


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    return frozenset(w for f in read_data("function_words.toml")["forms"] for w in words(f))


@dataclass(eq=False)  # an actor is itself: compared by identity, hashed by identity
class Actor:
    key: str
    type: str
    name: str
    name_en: str | None = None
    title: str | None = None
    country: str | None = None
    feminine: bool = False
    forms: list[str] = field(default_factory=list)
    mentions: list[tuple[int, int]] = field(default_factory=list)
    _spans: set[tuple[int, int]] = field(default_factory=set, repr=False)

    def add_mention(self, span: tuple[int, int]) -> None:
        if span not in self._spans:
            self._spans.add(span)
            self.mentions.append(span)

    def add_form(self, form: str) -> None:
        form = " ".join(form.translate(_UNQUOTE).split())
        if form and all(fold(form) != fold(f) for f in [self.name, *self.forms]):
            self.forms.append(form)


@dataclass
class Mention:
    first: int          # token index
    last: int           # one past
    start: int          # characters
    end: int
    actor: Actor
    kind: str           # name · alias · surname · title · side · capital · ref · place
    lead: int = -1      # first token of the title phrase that introduces a person's name


@dataclass
class Place:
    start: int
    end: int
    text: str
    en: str | None
    code: str | None


@dataclass
class Mentions:
    actors: list[Actor] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    at_token: dict[int, Mention] = field(default_factory=dict)
    by_key: dict[str, Actor] = field(default_factory=dict)
    by_lead: dict[int, Mention] = field(default_factory=dict)

    def actor(self, key: str, make: Actor) -> Actor:
        if key not in self.by_key:
            self.by_key[key] = make
            self.actors.append(make)
        return self.by_key[key]

    # Mentions are appended as found and sorted by start when first looked up by position;
    # the start and first-token lists for bisection are rebuilt then.
    _starts: list[int] | None = None
    _firsts: list[int] | None = None

    def add(self, mention: Mention) -> None:
        self._starts = self._firsts = None
        self.mentions.append(mention)
        for t in range(mention.first, mention.last):
            self.at_token.setdefault(t, mention)
        if mention.lead >= 0:
            self.by_lead.setdefault(mention.lead, mention)
        mention.actor.add_mention((mention.start, mention.end))

    def covering(self, token: int) -> Mention | None:
        return self.at_token.get(token)

    def _index(self) -> tuple[list[int], list[int]]:
        if self._starts is None or self._firsts is None:
            self.mentions.sort(key=lambda m: m.start)
            self._starts = [m.start for m in self.mentions]
            self._firsts = [m.first for m in self.mentions]
        return self._starts, self._firsts

    def in_range(self, lo: int, hi: int) -> list[Mention]:
        """Mentions whose tokens start within [lo, hi), in order."""
        firsts = self._index()[1]
        return self.mentions[bisect.bisect_left(firsts, lo):bisect.bisect_left(firsts, hi)]

    def count_before(self, char: int) -> int:
        """How many mentions start before character ``char`` (they are ``mentions[:n]``)."""
        return bisect.bisect_left(self._index()[0], char)

    def before(self, char: int, last: int | None = None) -> list[Mention]:
        """Mentions that start before character ``char``, in order (only the ``last`` ones)."""
        n = self.count_before(char)
        return self.mentions[max(0, n - last) if last else 0:n]


def _unwrap(written: str) -> str:
    """A name wrapped in quotation marks after a generic head: مجموعة "بريكس" → بريكس."""
    for opener, closer in (('"', '"'), ("«", "»"), ("“", "”")):
        at = written.find(opener)
        if at <= 0:
            continue
        # The closing mark is often just past the last word, outside the span.
        inner = written[at + 1:-1] if written.endswith(closer) and len(written) > at + 1 \
            else written[at + 1:]
        inner = inner.strip()
        if inner and opener not in inner and closer not in inner:
            return inner
    return written


def _has_article(t: Token) -> bool:
    bare = t.text.lstrip("وفبلك") if t.norm[:1] in "وفبلك" and not t.text.startswith("ال") \
        else t.text
    return bare.startswith("ال") or t.text.startswith("لل")


def _gap_breaks(text: str, a: Token, b: Token) -> bool:
    return any(ch in _STOP_PUNCT for ch in text[a.end:b.start])


class _Finder:
    def __init__(self, text: str, tokens: list[Token], lex: Lexicon):
        self.text, self.tokens, self.lex = text, tokens, lex
        self.out = Mentions()
        self.stop = function_words()
        self.last_person: list[Actor] = []
        self._name_forms: set[str] = set()
        self.organ_refs: dict[str, Actor] = {}
        self.by_word: dict[str, list[Actor]] = {}  # name word → the people bearing it
        self.ministries: dict[str, list[Actor]] = {}  # "ministry:branch:" → those named

    # -- people ------------------------------------------------------------------------------
    def _word_is_lexical(self, i: int) -> bool:
        lex, t = self.lex, self.tokens[i]
        if t.norm.isdigit() or len(t.norm) < 2:
            return True
        if t.norm == "علي" and "ى" not in t.text:
            return False  # the name علي, not the preposition على (they fold alike)
        if any(b in self.stop or b in _COUNTERPART for b, _ in bases(t.norm)):
            return True
        if any(nisba_country(lex, b) for b, _ in bases(t.norm)) or \
                lex.titles.at(self.tokens, i):
            return True
        for matcher in (lex.cues, lex.triggers, lex.stances, lex.places):
            hit = matcher.at(self.tokens, i)
            # "فيصل" is not ف + "يصل": a short word left after a ف is no evidence (after و
            # it is: "وبحث", "وقال").
            if hit is not None and (hit.cut == 0 or t.norm[0] != "ف" or
                                    len(t.norm) - hit.cut >= 4):
                return True
        known = lex.actors.at(self.tokens, i)
        return bool(known and known.payload.type != "person")

    def _name_after(self, j: int) -> int:
        """One past the last word of a personal name starting at token ``j`` (``j`` if none)."""
        tokens, n, k = self.tokens, len(self.tokens), j
        words_taken = 0
        while k < n and words_taken < 4:
            if k > j and _gap_breaks(self.text, tokens[k - 1], tokens[k]):
                break
            t = tokens[k]
            if t.norm in _CONNECTORS and words_taken:
                if k + 1 < n and not _gap_breaks(self.text, t, tokens[k + 1]):
                    k += 1
                    continue
                break
            prev = tokens[k - 1].norm if k > j else ""
            # The article is written ال without hamza; أل (ألكسندر، أليكسي) begins a name.
            if _has_article(t) and prev not in _CONNECTORS:
                nxt = tokens[k + 1] if k + 1 < n else None
                if not words_taken and nxt is not None and nxt.norm in _CONNECTORS and \
                        not self._word_is_lexical(k):
                    k += 1  # "المختار ولد …": a name that opens with the article
                    words_taken += 1
                    continue
                if not words_taken or self._word_is_lexical(k) or not t.text.startswith("ال"):
                    break  # a family name takes the article, never a preposition (للتعاون)
                k += 1  # a family name with the article ends the name …
                words_taken += 1
                # … unless a second one follows ("عمر الطيب الزين").
                if nxt is not None and nxt.text.startswith("ال") and \
                        not _gap_breaks(self.text, t, nxt) \
                        and not self._word_is_lexical(k) and words_taken < 4:
                    k += 1
                break
            if self._word_is_lexical(k) and not (prev in _CONNECTORS and words_taken):
                break
            if words_taken and t.text[:1] in "بل" and k + 1 < n and \
                    tokens[k + 1].text.startswith("ال"):
                break  # "فلان باعتماد القرار": a preposition phrase, not a name
            if t.norm[:2] in ("بت", "لت") and len(t.norm) >= 5:
                break  # "بتقديم"، "لتعزيز": a verbal noun after a preposition
            k += 1
            words_taken += 1
        while k > j and tokens[k - 1].norm in _CONNECTORS:
            k -= 1
        return k

    def _title_tail(self, j: int) -> tuple[int, str | None, bool]:
        """Extend a title over nisbas, joined titles and the state or body it serves: where
        it ends, the state it names, and whether it named a state or body at all."""
        lex, tokens, n = self.lex, self.tokens, len(self.tokens)
        start = j
        country = None
        served = False
        for _ in range(8):
            if j >= n or _gap_breaks(self.text, tokens[j - 1], tokens[j]):
                break
            t = tokens[j]
            code = nisba_country(lex, t.norm)
            if code:
                country = country or code
                j += 1
                continue
            joined = lex.titles.at(tokens, j)
            if joined and (joined.cut == 1 and t.norm[0] == "و" or j - start < 3 and
                           tokens[j - 1].norm == "باسم"):
                j = joined.end  # "ووزير الخارجية"، "المتحدثة باسم الممثل الأعلى"
                continue
            if t.norm.startswith("وال") and j > start and not self._word_is_lexical(j):
                j += 1  # "للشؤون الخارجية والسياسة الأمنية"
                continue
            if t.norm in ("في", "لدي", "باسم", "لدى") and j + 1 < n:
                known = lex.actors.at(tokens, j + 1)
                if known and known.payload.type != "person":
                    country = country or known.payload.country
                    served = True
                    j = known.end
                    continue
                if t.norm == "باسم" and tokens[j + 1].norm.startswith(("وزاره", "الخارجيه")):
                    j += 2
                    continue
            known = lex.actors.at(tokens, j)
            if known and known.payload.type != "person" and known.payload.form != "capital":
                country = country or known.payload.country
                served = True
                j = known.end
                continue
            if any(b in _MINISTRY or b == "الخارجيه" for b, _ in bases(t.norm)):
                after = self._ministry(j)  # "المتحدث باسم وزارة الخارجية الصينية"
                if after is not None:
                    ministry = self.out.mentions[-1].actor
                    country = country or ministry.country
                    j = after
                    continue
            ref = next((b for b, _ in bases(t.norm)
                        if b == "الوزاره" or b in lex.org_refs), None)
            if ref is not None:  # "المتحدث باسم الوزارة", "الأمين العام للمنظمة"
                before = len(self.out.mentions)
                self._org_ref(j)
                if len(self.out.mentions) > before:
                    country = country or self.out.mentions[-1].actor.country
                j += 1
                continue
            if t.norm in ("في", "لدي") and j + 1 < n and _has_article(tokens[j + 1]) and \
                    not self._word_is_lexical(j + 1):
                j += 2  # "المستشار السياسي في الرئاسة الإريترية"
                continue
            if t.norm in ("للشوون", "لشوون", "الشوون") and j + 1 < n:
                j += 2
                continue
            # "الأمين العام للمجلس"، "وزير الدولة للشؤون الخارجية": a definite complement is
            # part of the title (names seldom start with the article).
            if _has_article(t) and not (j + 1 < n and tokens[j + 1].norm in _CONNECTORS) \
                    and not self._word_is_lexical(j) and j - start < 6:
                j += 1
                continue
            if t.norm in _TITLE_WORDS:
                j += 1
                continue
            break
        return j, country, served or country is not None

    def _person(self, i: int) -> int | None:
        """A title (+ tail) (+ name) at token ``i``; returns the next token to read."""
        lex, tokens, text = self.lex, self.tokens, self.text
        title = lex.titles.at(tokens, i)
        if title is None:
            return None
        cut_chars = chars_for(tokens[i].text, title.cut)
        tail, country, served = self._title_tail(title.end)
        j = tail
        while j < len(tokens) and tokens[j].norm in lex.honorifics:
            j += 1
        if j < len(tokens) and j > 0 and any(ch in "\"«“:" for ch in
                                             text[tokens[j - 1].end:tokens[j].start]):
            name_end = j  # a quotation or colon follows the title: words, not a name
        elif j < len(tokens) and j > 0 and any(ch in "،,.;؛()" for ch in
                                               text[tokens[j - 1].end:tokens[j].start]):
            # "لسفير باكستان لدى روسيا، شوكت علي خان": a name in apposition after a comma,
            # taken only when the title named its state and two or more name words follow.
            name_end = j
            if any(c in text[tokens[j - 1].end:tokens[j].start] for c in "،,"):
                k = j
                while k < len(tokens) and nisba_country(lex, tokens[k].norm):
                    country = country or nisba_country(lex, tokens[k].norm)
                    k += 1
                after = self._name_after(k) if k < len(tokens) else k
                if (country or served) and after - k >= 2:
                    j, name_end = k, after
        else:
            name_end = self._name_after(j) if j < len(tokens) else j
        title_text = text[tokens[i].start + cut_chars:tokens[tail - 1].end]
        feminine = fold(tokens[i].text[cut_chars:]).endswith("ه") or fold(
            tokens[i].text[cut_chars:]) in ("الملكه",)
        again = lex.titles.at(tokens, j) if name_end == j == tail == title.end and \
            j < len(tokens) else None
        if again is not None and tokens[again.start].norm == tokens[i].norm:
            return i + 1  # "الوزير الوزير الروسي": read the fuller title that follows
        if name_end > j and title_text.startswith("ال") and country:
            # "الوزير الروسي" + words: a reference to the minister already named, unless
            # the words are his name or a name the article has not used for anyone.
            ref = self._refers_to(title_text, country)
            name_words = set(fold(text[tokens[j].start:tokens[name_end - 1].end]).split())
            head = fold(title_text).split()[0].removeprefix("ال")
            same_role = ref is not None and (head in _ANYONE or ref.title is not None and
                                             head in fold(ref.title).replace("ال", " ").split())
            known = lex.actors.at(tokens, j)
            if same_role and not (known and known.payload.type == "person") and \
                    not name_words & set(w for f in [ref.name, *ref.forms]
                                         for w in fold(f).split()):
                name_end = j
        if name_end > j:
            name = text[tokens[j].start:tokens[name_end - 1].end]
            actor = self._person_actor(name, title_text, country, feminine, j)
            self.out.add(Mention(j, name_end, tokens[j].start, tokens[name_end - 1].end,
                                 actor, "name", lead=i))
            self.last_person.append(actor)
            return name_end
        # A title alone refers back to someone already named.
        ref = self._refers_to(title_text, country)
        if ref is not None:
            start = tokens[i].start + cut_chars
            self.out.add(Mention(i, tail, start, tokens[tail - 1].end, ref, "title"))
            ref.add_form(title_text)
        return tail

    def _joined_nisba_person(self, i: int) -> int | None:
        """"نظيريه العراقي فلان والمصري فلان": a joined nisba opens a second person who
        shares the title before it."""
        t = self.tokens[i]
        if not t.norm.startswith("و") or not self.last_person:
            return None
        code = nisba_country(self.lex, t.norm[1:])
        if code is None:
            return None
        end = self._name_after(i + 1) if i + 1 < len(self.tokens) else i + 1
        if end - (i + 1) < 2:
            return None
        name = self.text[self.tokens[i + 1].start:self.tokens[end - 1].end]
        title = self.text[t.start + chars_for(t.text, 1):t.end]
        actor = self._person_actor(name, title, code, False, i + 1)
        self.out.add(Mention(i + 1, end, self.tokens[i + 1].start, self.tokens[end - 1].end,
                             actor, "name"))
        self.last_person.append(actor)
        return end

    def _person_actor(self, name: str, title: str | None, country: str | None,
                      feminine: bool, at: int) -> Actor:
        known = self.lex.actors.at(self.tokens, at)
        if known and known.payload.type == "person":
            k = known.payload
            same = self.out.by_key.get(k.key) or self._same_person(name)
            if same is not None:
                self.out.by_key.setdefault(k.key, same)
                same.name_en = same.name_en or k.en
                same.country = same.country or k.country
            actor = same or self.out.actor(k.key, Actor(k.key, "person", name, k.en, title,
                                                        country or k.country, feminine))
        else:
            actor = self._same_person(name) or self.out.actor(
                f"person:{fold(name)}", Actor(f"person:{fold(name)}", "person", name, None,
                                               title, country, feminine))
        if len(fold(name)) > len(fold(actor.name)):
            actor.add_form(actor.name)
            actor.name = name
        else:
            actor.add_form(name)
        self._name_forms.add(name)
        for word in fold(name).split():
            if actor not in self.by_word.setdefault(word, []):
                self.by_word[word].append(actor)
        actor.title = actor.title or title
        actor.country = actor.country or country
        return actor

    def _same_person(self, name: str) -> Actor | None:
        seq = set(fold(name).split())
        candidates = {id(a): a for w in seq - _COMMON_GIVEN for a in self.by_word.get(w, ())}
        for actor in candidates.values():
            for form in [actor.name, *actor.forms]:
                other = set(fold(form).split())
                if other and (seq <= other or other <= seq) and seq & other - _COMMON_GIVEN:
                    return actor
        return None

    def _refers_to(self, title: str, country: str | None) -> Actor | None:
        head = fold(title).split()[0].removeprefix("ال")
        if head in _ANYONE:  # "الدبلوماسي"، "المسؤول": whoever was just spoken of
            for actor in reversed(self.last_person[-_LOOKBACK:]):
                if not country or not actor.country or actor.country == country:
                    return actor
            return None
        for actor in reversed(self.last_person[-_LOOKBACK:]):
            if country and actor.country and actor.country != country:
                continue
            if actor.title and head in fold(actor.title).replace("ال", " ").split() or (
                    country and actor.country == country):
                return actor
        return None

    # -- states and bodies -------------------------------------------------------------------
    def _known(self, i: int) -> int | None:
        lex, tokens, text = self.lex, self.tokens, self.text
        m = lex.actors.at(tokens, i)
        if m is None:
            return None
        k: Known = m.payload
        start = tokens[i].start + chars_for(tokens[i].text, m.cut)
        end = tokens[m.end - 1].end
        written = text[start:end]
        if k.type == "person":
            actor = self._person_actor(k.name if m.end - m.start < len(k.name.split()) and
                                       k.form != "name" else written, None, k.country,
                                       False, i)
            actor.add_form(written)
            self.out.add(Mention(i, m.end, start, end, actor, "name"))
            self.last_person.append(actor)
            return m.end
        before = tokens[i - 1].norm if i else ""
        if fold(written) == "عمان" and k.form != "capital" and "\u0651" in written:
            jordan = self.lex.countries.get("JO")  # عمّان (Amman), not عُمان (Oman)
            if jordan is not None:
                k = Known(written, "country", jordan.en, "JO", jordan.key, "capital")
        if k.key.startswith("agency:") and not self._reporting_context(i, m.cut):
            return m.end
        bare = tokens[i].norm[:m.cut]  # the clitic letters the match took off
        back = {tokens[x].norm for x in range(max(0, i - 3), i)}
        # A dateline ("موسكو - …", "بكين، 14 يوليو (شينخوا) -") only says where it was filed.
        line_start = i == 0 or "\n" in text[tokens[i - 1].end:tokens[i].start]
        after = text[end:tokens[m.end].start] if m.end < len(tokens) else ""
        dateline = line_start and any(c in after for c in "-–—،,")
        locative = before in _LOCATIVE or bare in ("ب", "ل") and k.form == "capital" or (
            k.form == "capital" and bool(back & {"العاصمه", "عاصمه", "مدينه", "بالعاصمه"})) \
            or dateline
        if k.form == "capital" or (k.type == "country" and fold(k.name) in self.lex.cities):
            place = Place(start, end, written, k.en, k.country)
            self.out.places.append(place)
            if locative or bare == "ب":
                return m.end
        country_name = self.lex.countries.get(k.country or "") if k.type == "country" else None
        via_ll = tokens[i].norm.startswith(("لل", "ولل")) and fold(k.name).startswith("ال")
        if via_ll:  # "للأمم المتحدة": the name without its clitic is not written as such
            written_name = k.name if k.form == "name" else written
        else:
            written_name = _unwrap(written)
        name = country_name.name if country_name and k.form == "capital" else written_name
        actor = self.out.actor(k.key, Actor(k.key, k.type, name, k.en, None, k.country,
                                            k.type != "person"))
        if k.type == "country" and k.form != "capital" and len(fold(written)) > len(
                fold(actor.name)) and actor.name != written:
            actor.add_form(actor.name)
            actor.name = written
        if k.type == "organization" and k.form == "name" and not via_ll and \
                fold(actor.name) != fold(name) and fold(k.name) == fold(
                    written.translate(_UNQUOTE)):
            actor.add_form(actor.name)  # the full name, once written, names the body
            actor.name = name
        elif fold(written) != fold(actor.name):
            actor.add_form(written)
        kind = "capital" if k.form == "capital" else (
            "place" if k.type == "country" and before in _LOCATIVE else "name")
        self.out.add(Mention(i, m.end, start, end, actor, kind))
        return m.end

    def _reporting_context(self, i: int, cut: int) -> bool:
        """A news agency counts as an actor where it reports, not where it is a name."""
        if cut:
            return True
        near = {self.tokens[k].norm for k in range(max(0, i - 3), i)}
        near = {b for w in near for b, _ in bases(w)}
        return bool(near & _AGENCY_CONTEXT)

    def _ministry(self, i: int) -> int | None:
        tokens, lex, n = self.tokens, self.lex, len(self.tokens)
        first = self.tokens[i]
        readings = dict(bases(first.norm))
        if not (readings.keys() & _MINISTRY or readings.keys() & {"الخارجيه"}):
            return None
        is_bare = "الخارجيه" in readings
        j = i + (0 if is_bare else 1)
        if j >= n:
            return None
        branch = tokens[j].norm
        if not is_bare and not branch.startswith("ال"):
            return None
        j += 1
        # "وزارة الخارجية والتعاون الدولي الليبية": joined parts of the ministry's name.
        for _ in range(3):
            if j < n and (tokens[j].norm.startswith("وال") or tokens[j].norm.startswith("وش")
                          ) and not _gap_breaks(self.text, tokens[j - 1], tokens[j]):
                j += 1
                if j < n and _has_article(tokens[j]) and not nisba_country(lex, tokens[j].norm):
                    j += 1
            else:
                break
        country = None
        if j < n and not _gap_breaks(self.text, tokens[j - 1], tokens[j]):
            country = nisba_country(lex, tokens[j].norm)
            if country:
                j += 1
            elif tokens[j].norm in ("في", "لدي") and j + 1 < n:
                known = lex.actors.at(tokens, j + 1)
                if known and known.payload.type == "country":
                    country, j = known.payload.country, known.end
        if is_bare and not country and i and tokens[i - 1].norm not in ("بيان", "وزاره"):
            if not any(r in readings for r in ("للخارجيه", "الخارجيه")):
                return None
        cut = readings.get("الخارجيه" if is_bare else next(iter(readings.keys() & _MINISTRY)), 0)
        start = first.start + chars_for(first.text, cut)
        end = tokens[j - 1].end
        written = self.text[start:end]
        key = f"ministry:{branch if not is_bare else 'الخارجيه'}:{country or '?'}"
        kind = f"ministry:{branch if not is_bare else 'الخارجيه'}:"
        if country is None:
            # An unqualified ministry is the one the article already named, if only one.
            named = self.ministries.get(kind, [])
            if len(named) == 1:
                key = named[0].key
        en = None
        if "الخارجيه" in (branch, "الخارجيه" if is_bare else ""):
            state = lex.countries.get(country or "")
            en = f"Ministry of Foreign Affairs of {state.en}" if state else \
                "Ministry of Foreign Affairs"
        actor = self.out.actor(key, Actor(key, "organization", written, en, None, country,
                                          True))
        if actor not in self.ministries.setdefault(kind, []):
            self.ministries[kind].append(actor)
        if not is_bare and len(written) > len(actor.name) and fold(actor.name) != fold(written):
            actor.add_form(actor.name)
            actor.name = written
        else:
            actor.add_form(written)
        self.out.add(Mention(i, j, start, end, actor, "name" if not is_bare else "alias"))
        return j

    def _organ(self, i: int) -> int | None:
        """An organ of a body that acts on its own: "مجلس الجامعة", "الأمانة العامة لاتحاد
        المغرب العربي", "الأمانة التنفيذية للهيئة …" (evals/GUIDE.md, section 7)."""
        tokens, n = self.tokens, len(self.tokens)
        t = tokens[i]
        head = next((b for b, _ in bases(t.norm) if b in _ORGAN_HEADS), None)
        if head is None:
            return None
        j = i + 1
        if j < n and tokens[j].norm in _ORGAN_QUALIFIERS:
            j += 1
        if j >= n or _gap_breaks(self.text, tokens[j - 1], tokens[j]):
            return None
        body: Actor | None = None
        known = self.lex.actors.at(tokens, j)
        if known is not None and known.payload.type == "organization":
            body = self.out.by_key.get(known.payload.key)
            if body is None:
                k = known.payload
                body = self.out.actor(k.key, Actor(k.key, "organization", k.name, k.en, None,
                                                   k.country, True))
            end = known.end
        else:
            ref = next((b for b, _ in bases(tokens[j].norm) if b in self.lex.org_refs), None)
            named = [self.out.by_key[k] for k in self.lex.org_refs.get(ref or "", [])
                     if k in self.out.by_key]
            if not named:
                return None
            body, end = named[-1], j + 1
        cut = dict(bases(t.norm))[head]
        start = t.start + chars_for(t.text, cut)
        written = " ".join(self.text[start:tokens[end - 1].end].translate(_UNQUOTE).split())
        key = f"organ:{head}:{body.key}"
        en = f"{_ORGAN_HEADS[head]} of the {body.name_en}" if body.name_en else None
        actor = self.out.actor(key, Actor(key, "organization", written, en, None,
                                          body.country, True))
        if len(written) > len(actor.name):
            actor.add_form(actor.name)
            actor.name = written
        else:
            actor.add_form(written)
        self.organ_refs[head] = actor
        self.out.add(Mention(i, end, start, tokens[end - 1].end, actor, "name"))
        # The body is named inside its organ's name ("الأمانة العامة لاتحاد المغرب العربي").
        inner = tokens[j].start + chars_for(tokens[j].text, known.cut if known else 0)
        self.out.add(Mention(j, end, inner, tokens[end - 1].end, body, "alias"))
        return end

    def _side(self, i: int) -> int | None:
        tokens = self.tokens
        if i + 1 >= len(tokens):
            return None
        head = next((b for b, _ in bases(tokens[i].norm) if b in _SIDE_HEADS), None)
        if head is None:
            return None
        code = nisba_country(self.lex, tokens[i + 1].norm)
        if not code or code not in self.lex.countries:
            return None
        base = self.lex.countries[code]
        actor = self.out.actor(base.key, Actor(base.key, "country", base.name, base.en, None,
                                               code, True))
        cut = dict(bases(tokens[i].norm))[head]
        start = tokens[i].start + chars_for(tokens[i].text, cut)
        written = self.text[start:tokens[i + 1].end]
        actor.add_form(written)
        self.out.add(Mention(i, i + 2, start, tokens[i + 1].end, actor, "side"))
        return i + 2

    def _org_ref(self, i: int) -> None:
        t = self.tokens[i]
        for reading, cut in bases(t.norm):
            organ = self.organ_refs.get(reading.removeprefix("ال") if reading.startswith("ال")
                                        else reading) or self.organ_refs.get(reading)
            if organ is not None:  # "المجلس" after "مجلس الجامعة" is the council
                start = t.start + chars_for(t.text, cut)
                organ.add_form(self.text[start:t.end])
                self.out.add(Mention(i, i + 1, start, t.end, organ, "ref"))
                return
            if reading == "الوزاره":
                named = [a for a in self.out.actors if a.key.startswith("ministry:")]
                if named:
                    start = t.start + chars_for(t.text, cut)
                    named[-1].add_form(self.text[start:t.end])
                    self.out.add(Mention(i, i + 1, start, t.end, named[-1], "ref"))
                return
            keys = self.lex.org_refs.get(reading)
            if not keys:
                continue
            named = [self.out.by_key[k] for k in keys if k in self.out.by_key]
            if named:
                actor = named[-1]
                start = t.start + chars_for(t.text, cut)
                actor.add_form(self.text[start:t.end])
                self.out.add(Mention(i, i + 1, start, t.end, actor, "ref"))
                return

    def run(self) -> Mentions:
        i, n = 0, len(self.tokens)
        while i < n:
            second = self._joined_nisba_person(i)
            if second is not None:
                i = second
                continue
            gazetteer = self.lex.actors.at(self.tokens, i)
            nxt = (None if gazetteer else self._ministry(i) or self._organ(i)) or \
                self._side(i) or self._person(i) or self._known(i)
            if nxt is not None and nxt > i:
                i = nxt
                continue
            self._org_ref(i)
            i += 1
        self._merge_ministries()
        self._surnames()
        self.out.mentions.sort(key=lambda m: m.start)
        for actor in self.out.actors:
            actor.mentions.sort()
        return self.out

    def _merge_ministries(self) -> None:
        """"وزارة الخارجية" with no state is the one ministry of that kind the article names
        with its state, when there is exactly one."""
        for loose in [a for a in self.out.actors if a.key.endswith(":?")]:
            full = [a for a in self.ministries.get(loose.key[:-1], []) if a is not loose]
            if len(full) != 1:
                continue
            target = full[0]
            for mention in self.out.mentions:
                if mention.actor is loose:
                    mention.actor = target
            target.mentions = sorted(set(target.mentions) | set(loose.mentions))
            for form in [loose.name, *loose.forms]:
                target.add_form(form)
            self.out.actors.remove(loose)
            self.out.by_key[loose.key] = target

    def _surnames(self) -> None:
        # surname → the people who bear it, each with where it is first named in full.
        short: dict[str, list[tuple[int, Actor]]] = {}
        for actor in self.out.actors:
            if actor.type != "person" or not actor.mentions:
                continue
            first = actor.mentions[0][0]
            # Only names, never the title references collected as forms ("الرئيس الروسي").
            for form in [actor.name, *(f for f in actor.forms if f in self._name_forms)]:
                parts = fold(form).split()
                if len(parts) < 2:
                    continue
                if len(parts[-1]) >= 3 and parts[-1] not in _COMMON_GIVEN:
                    short.setdefault(parts[-1], []).append((first, actor))
                if len(parts) == 2 and len(parts[0]) >= 4 and parts[0] not in _COMMON_GIVEN:
                    short.setdefault(parts[0], []).append((first, actor))
        if not short:
            return
        starts = {id(a): sorted(s for s, _ in a.mentions) for a in self.out.actors}
        for i, t in enumerate(self.tokens):
            if i in self.out.at_token:
                continue
            for reading, cut in bases(t.norm):
                bearers = short.get(reading)
                if not bearers or reading in self.stop:
                    continue
                # Two people share the surname: the one the article spoke of last.
                if len(bearers) == 1:
                    actor = bearers[0][1]
                else:
                    def last_seen(actor: Actor) -> int:
                        k = bisect.bisect_left(starts[id(actor)], t.start)
                        return starts[id(actor)][k - 1] if k else -1
                    actor = max((a for _, a in bearers), key=last_seen)
                start = t.start + chars_for(t.text, cut)
                actor.add_form(self.text[start:t.end])
                self.out.add(Mention(i, i + 1, start, t.end, actor, "surname"))
                break


def find_mentions(text: str, tokens: list[Token], lex: Lexicon) -> Mentions:
    return _Finder(text, tokens, lex).run()


def spans_of(text: str, forms: dict[int, list[str]]) -> dict[int, list[tuple[int, int]]]:
    """Where the article names each entity, given its written forms (name and aliases): every
    occurrence, clitic prefixes (و، ب، ل، لل) left outside the span, longest form first, no
    two spans overlapping. Keys are the caller's entity numbers."""
    from service.arabic.lexicon import PhraseMatcher
    from service.arabic.text import tokenize

    matcher: PhraseMatcher[int] = PhraseMatcher()
    for key, written in forms.items():
        for form in written:
            matcher.add(form, key)
    tokens = tokenize(text)
    out: dict[int, list[tuple[int, int]]] = {key: [] for key in forms}

    def collect(matches: list[Match[int]]) -> None:
        for m in matches:
            start = tokens[m.start].start + chars_for(tokens[m.start].text, m.cut)
            out[m.payload].append((start, tokens[m.end - 1].end))

    collect(matcher.scan(tokens))
    # A body named only inside another's name ("الأمانة العامة لاتحاد المغرب العربي"):
    # look again for those alone, inside the longer spans.
    unnamed = {key: forms[key] for key, spans in out.items() if not spans}
    if unnamed and len(unnamed) < len(forms):
        inner: PhraseMatcher[int] = PhraseMatcher()
        for key, written in unnamed.items():
            for form in written:
                inner.add(form, key)
        collect(inner.scan(tokens))
    return out
