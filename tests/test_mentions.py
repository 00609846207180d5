"""Contract 1.1: every entity carries the spans where the article names it; an entity the
article never names is flagged, and strict grounding drops it with what points at it."""

from __future__ import annotations

from schemas.contract import ExtractRequest
from schemas.draft import Draft
from service.arabic.mentions import spans_of
from service.extractor import Extractor
from service.resolver import resolve
from service.settings import Settings
from tests.openai_server import OpenAIServer, answer

TEXT = ("التقى وزير الخارجية القطري حمد ناصر الكواري نظيره العماني في الدوحة، "
        "وقال الكواري إن اللقاء كان مثمرا. وأكدت الدوحة دعمها للحوار.")


def test_mentions_are_found_with_clitics_left_outside_the_span() -> None:
    found = spans_of(TEXT, {0: ["حمد ناصر الكواري", "الكواري"], 1: ["قطر", "الدوحة"]})
    assert [TEXT[s:e] for s, e in found[0]] == ["حمد ناصر الكواري", "الكواري"]
    assert [TEXT[s:e] for s, e in found[1]] == ["الدوحة", "الدوحة"]
    joined = "ووصل الوفد إلى الدوحة وبالدوحة وللدوحة"
    spans = spans_of(joined, {0: ["الدوحة"]})[0]
    # و and ب stay outside; in للدوحة the article's alef is gone, so the span keeps the lams.
    assert [joined[s:e] for s, e in spans] == ["الدوحة", "الدوحة", "للدوحة"]


def _draft(**extra: object) -> Draft:
    return Draft.model_validate({
        "entities": [{"name": "حمد ناصر الكواري", "type": "person", "aliases": ["الكواري"]},
                     {"name": "وزارة الخارجية الإيرانية", "type": "organization"}],
        "quotes": [{"speaker": "الكواري", "cue": "قال", "kind": "indirect",
                    "text": "اللقاء كان مثمرا"},
                   {"speaker": "وزارة الخارجية الإيرانية", "cue": "قال", "kind": "indirect",
                    "text": "اللقاء كان مثمرا"}],
        "positions": [{"holder": "وزارة الخارجية الإيرانية", "stance": "support",
                       "topic_en": "dialogue", "evidence": "وأكدت الدوحة دعمها للحوار"}],
        **extra})


def test_an_entity_the_article_never_names_is_flagged() -> None:
    resolved = resolve(_draft(), TEXT)
    invented = next(e for e in resolved.entities if e.name == "وزارة الخارجية الإيرانية")
    assert invented.mentions == []
    assert any("never named" in w and invented.name in w for w in resolved.warnings)
    named = next(e for e in resolved.entities if e.name == "حمد ناصر الكواري")
    assert [m.text for m in named.mentions] == ["حمد ناصر الكواري", "الكواري"]


def test_strict_grounding_drops_it_with_every_record_that_points_at_it() -> None:
    resolved = resolve(_draft(), TEXT, strict_grounding=True)
    assert [e.name for e in resolved.entities] == ["حمد ناصر الكواري"]
    assert [e.id for e in resolved.entities] == ["E1"]
    assert len(resolved.quotes) == 1 and resolved.quotes[0].speaker == "E1"
    assert resolved.positions == []


def test_a_capable_models_long_answer_reaches_the_user_whole(
        settings: Settings, openai_server: tuple[OpenAIServer, str]) -> None:
    # Thirty states and twenty meetings: far past the embedded model's grammar bounds.
    countries = ["مصر", "الأردن", "العراق", "سوريا", "لبنان", "تونس", "الجزائر", "المغرب",
                 "ليبيا", "السودان", "اليمن", "عمان", "قطر", "الكويت", "البحرين", "الإمارات",
                 "السعودية", "موريتانيا", "الصومال", "جيبوتي", "تركيا", "إيران", "باكستان",
                 "الهند", "الصين", "روسيا", "اليابان", "البرازيل", "كندا", "المكسيك"]
    text = " ".join(f"والتقى وفد {c} وفدا آخر." for c in countries)
    draft = {"entities": [{"name": c, "type": "country"} for c in countries],
             "events": [{"evidence": f"والتقى وفد {c} وفدا آخر", "type": "CONSULT",
                         "mode": "meet", "summary_en": "Two delegations met." * 12,
                         "participants": [{"name": c, "role": "actor"}],
                         "status": "occurred"} for c in countries[:20]],
             "quotes": [], "positions": []}
    fake, url = openai_server
    fake.push(answer(draft))
    extractor = Extractor(settings.model_copy(update={"openai_base_url": url,
                                                      "provider": "openai:test-model"}))
    result = extractor.extract(ExtractRequest(text=text))
    assert len(result.entities) == 30 and len(result.events) == 20
    assert all(e.mentions for e in result.entities)
