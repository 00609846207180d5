"""The Arabic language layer, rule family by rule family, on sentences written for these tests.

Each test runs the whole default path (``rules`` provider → resolver → contract JSON), so what
it checks is what a user of ``POST /extract`` gets. Names of officials are invented or are real
names put into sentences written for the test: no sentence reports what a real person said.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from schemas.contract import ExtractionResponse, ExtractRequest
from service.arabic.lexicon import load, nisba_country, regular_nisba
from service.extractor import Extractor
from service.settings import Settings

TUESDAY = dt.date(2025, 3, 11)


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> Extractor:
    return Extractor(Settings(provider="rules", cache_dir=tmp_path_factory.mktemp("cache")))


def extract(extractor: Extractor, text: str, published: dt.date | None = TUESDAY,
            **options: bool) -> ExtractionResponse:
    return extractor.extract(ExtractRequest(text=text, published=published,
                                            options={"use_cache": False, **options}))


def name_of(result: ExtractionResponse, entity_id: str | None) -> str | None:
    return next((e.name for e in result.entities if e.id == entity_id), None)


def exact(result: ExtractionResponse, text: str) -> None:
    """Every span the answer gives is the article's own characters."""
    for q in result.quotes:
        assert text[q.start:q.end] == q.text and q.grounding == "exact"
    for r in [*result.events, *result.positions]:
        assert text[r.evidence.start:r.evidence.end] == r.evidence.text
    for e in result.entities:
        assert e.mentions, f"{e.name} has no mention"
        for m in e.mentions:
            assert text[m.start:m.end] == m.text


# Reporting cues -------------------------------------------------------------------------------
@pytest.mark.parametrize("cue", ["قال", "وقال"])
def test_a_cue_finds_its_speaker_with_or_without_a_joined_waw(extractor: Extractor,
                                                               cue: str) -> None:
    text = (f"{cue} وزير الخارجية المصري أحمد سالم الديب إن القاهرة تتابع التطورات في "
            "المنطقة باهتمام بالغ.")
    result = extract(extractor, text)
    (quote,) = result.quotes
    assert name_of(result, quote.speaker) == "أحمد سالم الديب"
    assert quote.cue == "قال" and quote.kind == "indirect"
    assert quote.text == "القاهرة تتابع التطورات في المنطقة باهتمام بالغ"
    exact(result, text)


def test_a_quote_interrupted_by_narration_is_two_direct_quotes_of_one_speaker(
        extractor: Extractor) -> None:
    text = ("وقال رئيس الوزراء الأردني سامر خليل العدوان: «نريد شراكة تقوم على المصالح "
            "المتبادلة»، وأضاف: «الباب مفتوح أمام كل من يريد العمل معنا بجدية».")
    result = extract(extractor, text)
    assert [q.kind for q in result.quotes] == ["direct", "direct"]
    assert {name_of(result, q.speaker) for q in result.quotes} == {"سامر خليل العدوان"}
    assert result.quotes[0].text == "نريد شراكة تقوم على المصالح المتبادلة"
    assert [q.cue for q in result.quotes] == ["قال", "أضاف"]
    exact(result, text)


def test_a_relayed_statement_belongs_to_the_one_after_an_not_to_the_agency(
        extractor: Extractor) -> None:
    text = ("ونقلت وكالة الأنباء الرسمية عن وزير الخارجية الكويتي فهد ناصر الصباحي قوله إن "
            "بلاده ستواصل جهود الوساطة بين الأطراف.")
    result = extract(extractor, text)
    (quote,) = result.quotes
    assert name_of(result, quote.speaker) == "فهد ناصر الصباحي"
    assert quote.cue == "قوله"
    assert quote.text.startswith("بلاده ستواصل")


def test_a_speaker_named_later_by_title_alone_is_the_person_named_first(
        extractor: Extractor) -> None:
    text = ("استقبل الرئيس التونسي سامي العرفاوي وفدا برلمانيا يوم الاثنين.\n"
            "وقال الرئيس التونسي إن العلاقات بين البلدين تشهد تطورا ملحوظا.")
    result = extract(extractor, text)
    (quote,) = result.quotes
    assert name_of(result, quote.speaker) == "سامي العرفاوي"
    person = next(e for e in result.entities if e.name == "سامي العرفاوي")
    assert person.country == "TN" and person.title == "الرئيس التونسي"
    assert "الرئيس التونسي" in person.aliases  # the role reference is a mention of him
    exact(result, text)


def test_a_bare_waadaf_continues_the_previous_speaker(extractor: Extractor) -> None:
    text = ("أكد المبعوث الخاص كريم جابر المنصوري أن المحادثات تسير في الاتجاه الصحيح.\n"
            "وأضاف أن الجولة المقبلة ستتناول ملف الحدود.")
    result = extract(extractor, text)
    assert len(result.quotes) == 2
    assert {name_of(result, q.speaker) for q in result.quotes} == {"كريم جابر المنصوري"}


def test_a_participle_ends_one_statement_and_starts_another_of_the_same_speaker(
        extractor: Extractor) -> None:
    text = ("قال وزير الدفاع العراقي ليث حسين الزبيدي إن التعاون الأمني مع الجيران ضروري، "
            "مشيرا إلى أن بغداد ستستضيف اجتماعا للخبراء.")
    result = extract(extractor, text)
    assert [q.text for q in result.quotes] == [
        "التعاون الأمني مع الجيران ضروري", "بغداد ستستضيف اجتماعا للخبراء"]
    assert [q.cue for q in result.quotes] == ["قال", "مشيرا"]
    assert {name_of(result, q.speaker) for q in result.quotes} == {"ليث حسين الزبيدي"}


def test_capital_metonymy_speaks_for_the_state_and_a_visited_capital_only_locates(
        extractor: Extractor) -> None:
    text = ("وصل وزير الخارجية اللبناني نبيل فارس حداد إلى أنقرة في زيارة رسمية.\n"
            "وأكدت أنقرة أن الزيارة تفتح صفحة جديدة في العلاقات.")
    result = extract(extractor, text)
    (quote,) = result.quotes
    assert name_of(result, quote.speaker) == "تركيا"
    turkey = next(e for e in result.entities if e.country == "TR" and e.type == "country")
    assert "أنقرة" in turkey.aliases
    (visit,) = [v for v in result.events if v.mode == "visit"]
    assert visit.location is not None and visit.location.name_en == turkey.name_en
    assert {name_of(result, p.entity) for p in visit.participants} >= {"نبيل فارس حداد"}


# Events -----------------------------------------------------------------------------------------
def test_a_planned_meeting_and_a_postponed_summit(extractor: Extractor) -> None:
    planned = extract(extractor, "سيلتقي وزير الخارجية الجزائري مراد بن علي نظيره التونسي "
                                 "هشام الورغي في الجزائر العاصمة الأسبوع المقبل.")
    (meeting,) = planned.events
    assert (meeting.type, meeting.mode, meeting.status) == ("CONSULT", "meet", "planned")
    postponed = extract(extractor, "أعلنت جامعة الدول العربية تأجيل القمة العربية التي كان "
                                   "من المقرر عقدها في 20 مايو/أيار 2025.")
    (summit,) = [v for v in postponed.events if v.mode == "summit"]
    assert summit.status == "postponed_or_cancelled"
    assert summit.date is not None and summit.date.value == "2025-05-20"


def test_talks_with_several_leaders_in_one_sentence_are_one_event_each(
        extractor: Extractor) -> None:
    text = ("وعقد الرئيس الكازاخستاني دانيار سيرك أحمدوف أمس سلسلة من المحادثات الثنائية مع الرئيس التركي أحمد "
            "كمال أوزتورك والرئيس الأذربيجاني رشاد علييف أوغلو والرئيس المنغولي باتو "
            "دورجين.")
    result = extract(extractor, text)
    meetings = [v for v in result.events if v.mode == "meet"]
    assert len(meetings) == 3
    assert len({v.evidence.start for v in meetings}) == 1  # they share the evidence
    counterparts = {name_of(result, p.entity) for v in meetings for p in v.participants
                    if p.role == "counterpart"}
    assert counterparts == {"أحمد كمال أوزتورك", "رشاد علييف أوغلو", "باتو دورجين"}
    assert all(v.date is not None and v.date.value == "2025-03-10" for v in meetings)


def test_a_happening_told_only_in_a_persons_words_is_not_an_event(
        extractor: Extractor) -> None:
    text = ("قال السفير العماني سالم بن حمد الحارثي إن البلدين وقعا العام الماضي اتفاقية "
            "للتعاون التجاري.")
    result = extract(extractor, text)
    assert result.quotes and not result.events


def test_a_phone_call_between_two_ministers(extractor: Extractor) -> None:
    text = ("أجرى وزير الخارجية السعودي خالد عبد الله الشهري اتصالا هاتفيا مع نظيره "
            "الإماراتي علي راشد النعيمي مساء أمس.")
    result = extract(extractor, text)
    (call,) = result.events
    assert (call.type, call.mode, call.status) == ("CONSULT", "phone_call", "occurred")
    roles = {name_of(result, p.entity): p.role for p in call.participants}
    assert roles == {"خالد عبد الله الشهري": "actor", "علي راشد النعيمي": "counterpart"}


# Positions --------------------------------------------------------------------------------------
def test_a_stance_voiced_by_a_diplomat_for_his_country_is_held_by_the_country(
        extractor: Extractor) -> None:
    text = "أكد السفير الأردني ماجد فايز عودة أن بلاده ترفض أي تدخل خارجي في شؤون المنطقة."
    result = extract(extractor, text)
    (position,) = result.positions
    assert name_of(result, position.holder) == "الأردن"
    assert position.stance == "oppose"
    jordan = next(e for e in result.entities if e.name == "الأردن")
    assert [m.text for m in jordan.mentions] == ["بلاده"]  # the role reference names it


@pytest.mark.parametrize(("clause", "topic"), [
    ("أن بلاده منفتحة على أي مبادرة للحوار مع جيرانها", "open to"),
    ("أن بلاده متمسكة بحقها في مياه النهر", "commitment to"),
    ("أن بلاده تعول على دعم الشركاء الأوروبيين", "counts on"),
])
def test_openness_attachment_and_reliance_are_support(extractor: Extractor, clause: str,
                                                      topic: str) -> None:
    text = f"وأكد وزير الخارجية الموريتاني محمد سالم ولد مرزوك {clause}."
    result = extract(extractor, text)
    (position,) = result.positions
    assert (position.stance, name_of(result, position.holder)) == ("support", "موريتانيا")
    assert position.topic_en.startswith(topic)
    exact(result, text)


def test_welcome_and_concern_and_thanks(extractor: Extractor) -> None:
    text = ("رحبت وزارة الخارجية القطرية بالاتفاق الموقع بين الطرفين. "
            "وأعربت الوزارة عن قلقها إزاء تدهور الأوضاع الإنسانية. "
            "كما أعرب الوزير عن شكره للدول المشاركة.")
    result = extract(extractor, text)
    stances = [p.stance for p in result.positions]
    assert stances[:2] == ["support", "concern"]
    assert all("شكره" not in p.evidence.text for p in result.positions)
    ministry = {name_of(result, p.holder) for p in result.positions[:2]}
    assert ministry == {"وزارة الخارجية القطرية"}


# Entities and grounding ------------------------------------------------------------------------
def test_an_unnamed_pair_yields_no_invented_actor(extractor: Extractor) -> None:
    result = extract(extractor, "التقى الرئيسان يوم الثلاثاء.")
    assert result.entities == [] and result.quotes == [] and result.positions == []
    assert not any("never named" in w for w in result.meta.warnings)


def test_organisations_by_abbreviation_and_english_names(extractor: Extractor) -> None:
    text = ("شارك وزراء خارجية مجلس التعاون الخليجي (GCC) في اجتماع مع رابطة آسيان "
            "(ASEAN) في جاكرتا.")
    result = extract(extractor, text)
    english = {e.name_en for e in result.entities if e.type == "organization"}
    assert {"Gulf Cooperation Council", "ASEAN"} <= english
    exact(result, text)


def test_an_english_or_mixed_script_article_gets_contract_json(extractor: Extractor) -> None:
    english = extract(extractor, "The ministers met in Cairo on Tuesday and signed a "
                                 "memorandum on trade.")
    assert ExtractionResponse.model_validate(english.model_dump())
    mixed = extract(extractor, "وقع الوزيران مذكرة تفاهم (MoU) لمشروع Mashreq Link في "
                               "بغداد يوم ١٤ سبتمبر/أيلول ٢٠٢٥.")
    (signing,) = mixed.events
    assert signing.mode == "sign_agreement" and signing.date is not None
    assert signing.date.value == "2025-09-14"


def test_a_long_hostile_article_is_read_in_one_pass(extractor: Extractor) -> None:
    # Repeated cues, unbalanced marks and title chains: the shapes that would make a
    # backtracking pattern explode. Linear reading finishes and answers contract JSON.
    text = ("وقال الوزير «" * 2000 + " قال إن " * 2000 + "الرئيس الأمين العام " * 800)[:50_000]
    result = extract(extractor, text)
    assert ExtractionResponse.model_validate(result.model_dump())


# Lexicons ---------------------------------------------------------------------------------------
def test_countries_come_from_cldr_and_nisbas_follow_the_rule_or_the_exceptions() -> None:
    lex = load()
    assert lex.countries["PK"].name == "باكستان" and lex.countries["PK"].en == "Pakistan"
    assert regular_nisba("روسيا") == "الروسي" and regular_nisba("باكستان") == "الباكستاني"
    assert nisba_country(lex, "الايرانيه") == "IR"      # feminine, folded
    assert nisba_country(lex, "الاميركي") == "US"       # an exception listed in the data
    assert len(lex.version) == 12


def test_the_lexicon_version_keys_the_rules_answers_but_not_a_models(tmp_path: Path) -> None:
    extractor = Extractor(Settings(provider="rules", cache_dir=tmp_path))
    # The cache key holds the provider's model name: the rules' carries the lexicons' digest,
    # so editing a lexicon re-reads articles, and a model alone keeps its answers.
    assert extractor.providers.get("rules").identity.model == f"khabar-rules-{load().version}"
    assert load().version not in extractor.providers.get("local").identity.model
    assert load().version in extractor.providers.get("rules+local").identity.model


def test_a_quotation_right_after_a_title_is_words_not_a_name(extractor: Extractor) -> None:
    text = ("استقبل السفير الباكستاني ناصر علي خان وفدا تجاريا.\n"
            "ولفت الدبلوماسي الباكستاني \"أعتقد أن الزيارة ستفتح أسواقا جديدة\".")
    result = extract(extractor, text)
    assert [e.name for e in result.entities if e.type == "person"] == ["ناصر علي خان"]
    (quote,) = result.quotes
    assert quote.kind == "direct" and name_of(result, quote.speaker) == "ناصر علي خان"


def test_organs_of_a_body_speak_for_themselves(extractor: Extractor) -> None:
    text = ("اعتمد مجلس جامعة الدول العربية قرارا بشأن الأزمة. وطالب المجلس الأطراف بوقف "
            "فوري لإطلاق النار.")
    result = extract(extractor, text)
    council = next(e for e in result.entities if e.name == "مجلس جامعة الدول العربية")
    assert "المجلس" in council.aliases
    assert [name_of(result, q.speaker) for q in result.quotes] == ["مجلس جامعة الدول العربية"]


def test_unnamed_sources_are_not_speakers(extractor: Extractor) -> None:
    text = ("التقى وزير الخارجية العماني بدر حمد السيابي نظيره الإيراني.\n"
            "وقالت مصادر مطلعة إن اللقاء تناول الملف النووي.")
    result = extract(extractor, text)
    assert result.quotes == []


@pytest.mark.parametrize("text", [
    "وقال الرئيس " + "ب" * 400 + " إن الوضع جيد.",                    # a "name" past any bound
    "الرئيس محمد " + "بن عبد " * 200 + "خالد قال إن الوضع جيد.",       # an endless name chain
    "قال الوزير خالد حسن إن " + "الوضع " * 5000,                       # a quote past 20,000
    "التقى الرئيس أحمد علي نظيره أمس" + " اليوم" * 300,              # an endless date phrase
    " ".join(f"وزارة ال{chr(0x628 + i % 20)}{chr(0x628 + i // 20 % 20)}" for i in range(2500)),
], ids=["long-name", "bin-chain", "long-quote", "date-glue", "many-ministries"])
def test_text_built_to_break_bounds_still_gets_contract_json(extractor: Extractor,
                                                             text: str) -> None:
    result = extract(extractor, text[:50_000])
    assert ExtractionResponse.model_validate(result.model_dump())


def test_the_same_words_said_by_two_people_are_two_quotes(extractor: Extractor) -> None:
    text = ("قال وزير الخارجية الروسي سيرغي لافروف: «نحن ندعم الحل السياسي للأزمة». "
            "وقال وزير الخارجية الصيني وانغ يي: «نحن ندعم الحل السياسي للأزمة».")
    result = extract(extractor, text)
    assert [name_of(result, q.speaker) for q in result.quotes] == ["سيرغي لافروف", "وانغ يي"]
    assert result.quotes[0].start != result.quotes[1].start
    exact(result, text)


def test_a_stray_mark_a_short_quoted_line_and_vowelled_clitics(extractor: Extractor) -> None:
    stray = extract(extractor, "وصف الوزير «الخطة بأنها جيدة، وقال الرئيس الروسي فلاديمير "
                               "بوتين «نحن ندعم الحل السياسي للأزمة».")
    assert [q.text for q in stray.quotes] == ["نحن ندعم الحل السياسي للأزمة"]
    short = extract(extractor, "قال بوتين: «نحن مستعدون للحوار».")
    assert [q.text for q in short.quotes] == ["نحن مستعدون للحوار"]
    vowelled = extract(extractor, "وَقَالَ الرئيس الروسي فلاديمير بوتين إن العلاقات جيدة.")
    assert [q.cue for q in vowelled.quotes] == ["قَالَ"]


def test_a_dateline_city_only_says_where_the_story_was_filed(extractor: Extractor) -> None:
    text = ("القاهرة - (وكالات)\nاستقبل وزير الخارجية الأردني رامز سمير الخطيب وفدا "
            "برلمانيا في عمّان يوم الأحد.")
    result = extract(extractor, text)
    assert "مصر" not in [e.name for e in result.entities]


# Events: forms the genre uses for meetings to come, agreements told twice, announcements.

def test_two_agreements_of_the_same_sides_are_two_events(extractor: Extractor) -> None:
    text = ("التقى وزير الخارجية التونسي نبيل عمار نظيره الليبي طاهر الباعور في تونس، واتفق "
            "الجانبان على إعادة فتح المعبر الحدودي، كما اتفقا على تشكيل لجنة للتبادل التجاري.")
    result = extract(extractor, text)
    agreements = [e.evidence.text for e in result.events if e.mode == "agree"]
    assert len(agreements) == 2
    assert "إعادة فتح المعبر" in agreements[0] and "تشكيل لجنة" in agreements[1]
    exact(result, text)


@pytest.mark.parametrize("text", [
    "ومن المقرر أن يعقد وزراء الخارجية العرب اجتماعهم المقبل في الرباط مطلع أبريل المقبل.",
    "ومن المنتظر أن تعقد اللجنة الوزارية أول اجتماعاتها في عمان خلال أسبوعين.",
    "ومن المقرر أن يجتمع الوفدان في الجزائر الأسبوع المقبل لاستكمال المشاورات.",
])
def test_a_meeting_to_come_is_a_planned_event_in_every_person_and_number(
        extractor: Extractor, text: str) -> None:
    result = extract(extractor, text)
    assert [(e.type, e.status) for e in result.events] == [("CONSULT", "planned")]
    exact(result, text)


def test_a_possessed_noun_points_back_to_a_happening_already_told(
        extractor: Extractor) -> None:
    text = ("وصل الرئيس الموريتاني محمد ولد الغزواني إلى دكار أمس في زيارة رسمية. وخلال زيارته "
            "أجرى محادثات مع الرئيس السنغالي باسيرو ديوماي فاي.")
    result = extract(extractor, text)
    assert [e.mode for e in result.events].count("visit") == 1
    assert "meet" in [e.mode for e in result.events]


def test_an_announced_schedule_is_a_planned_event_whose_evidence_starts_after_an(
        extractor: Extractor) -> None:
    text = ("وأعلنت وزارة الخارجية الكويتية، اليوم الثلاثاء، أن وزير الخارجية عبد الله اليحيا "
            "سيزور سلطنة عمان الأسبوع المقبل.")
    result = extract(extractor, text)
    (visit,) = [e for e in result.events if e.mode == "visit"]
    assert visit.status == "planned"
    assert visit.evidence.text.startswith("وزير الخارجية عبد الله اليحيا سيزور")
    actors = [name_of(result, p.entity) for p in visit.participants if p.role == "actor"]
    assert actors == ["عبد الله اليحيا"]
    assert result.quotes and result.quotes[0].cue == "أعلنت"
    exact(result, text)


def test_the_writers_own_background_formula_is_narration_not_a_quote(
        extractor: Extractor) -> None:
    text = ("استقبل الرئيس الجزائري عبد المجيد تبون وزير الخارجية الإسباني خوسيه مانويل "
            "ألباريس في الجزائر. ويذكر أن المغرب كان قد قطع علاقاته مع إيران عام 2018.")
    result = extract(extractor, text)
    assert result.quotes == []  # "يُذكر أن" attributes the words to no one
    (severed,) = [e for e in result.events if e.mode == "sever_relations"]
    assert severed.evidence.text.startswith("المغرب كان قد قطع علاقاته مع إيران")
    assert severed.date is not None and severed.date.value == "2018"
    exact(result, text)
