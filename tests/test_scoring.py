"""The scorer's behaviour, pinned: what counts as a match and how much each miss costs."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

from evals.scoring import score_article, suite_summary
from schemas.contract import ExtractionResponse
from schemas.draft import Draft
from service.resolver import resolve
from tests.conftest import DRAFT_003, article

A003 = article("003")
GOLD_DIR = Path(__file__).resolve().parent.parent / "evals" / "suites" / "sco" / "gold"

# A second quote and a second event, so there is something to drop and reorder.
RICHER = copy.deepcopy(DRAFT_003)
RICHER["quotes"].append({
    "speaker": "سيرغي لافروف", "cue": "قال", "kind": "direct",
    "text": "هذه فرصة رائعة من أجل ضبط عقارب الساعات"})
RICHER["quotes"].append({
    "speaker": "روسيا", "cue": "أضافت", "kind": "indirect",
    "text": "الجانبين شدّدا على الحاجة إلى تعزيز التعاون الثنائي متعدد الجوانب"})
RICHER["events"].append({
    "evidence": "اتفق الوزيران على دعم تشكيل هياكل للسلطة الشاملة في أفغانستان",
    "type": "AGREE", "mode": "agree", "summary_en": "They agreed to support inclusive power.",
    "participants": [{"name": "سيرغي لافروف", "role": "actor"},
                     {"name": "شاه محمود قريشي", "role": "counterpart"}],
    "status": "occurred"})


def _doc(draft: dict[str, Any]) -> dict[str, Any]:
    r = resolve(Draft.model_validate(draft), A003, published=dt.date(2021, 7, 14))
    return ExtractionResponse.model_validate({
        "article": {"id": "003"}, "entities": r.entities, "events": r.events,
        "quotes": r.quotes, "positions": r.positions,
        "meta": {"provider": "gold", "model": "test", "prompt_version": "guide-1"},
    }).model_dump(mode="json")


GOLD = _doc(RICHER)


def _f1(doc: dict[str, Any], kind: str) -> float:
    return score_article(GOLD, doc).counts[kind].f1


def test_gold_against_itself_scores_one_everywhere() -> None:
    s = score_article(GOLD, GOLD)
    assert all(c.f1 == 1.0 for c in s.counts.values())
    assert all(t.accuracy == 1.0 for t in s.fields.values())
    assert s.grounded == s.spans > 0


@pytest.mark.parametrize("k", [1, 2])
def test_dropping_k_gold_quotes_lowers_recall_by_exactly_that_share(k: int) -> None:
    pred = copy.deepcopy(GOLD)
    n = len(pred["quotes"])
    pred["quotes"] = pred["quotes"][k:]
    counts = score_article(GOLD, pred).counts["quotes"]
    assert counts.recall == pytest.approx(1 - k / n)
    assert counts.precision == 1.0


def test_record_order_and_ids_do_not_matter() -> None:
    pred = copy.deepcopy(GOLD)
    rng = random.Random(7)
    renumber = {e["id"]: f"E{100 + i}" for i, e in enumerate(pred["entities"])}
    for e in pred["entities"]:
        e["id"] = renumber[e["id"]]
    for q in pred["quotes"]:
        q["speaker"] = renumber[q["speaker"]]
    for p in pred["positions"]:
        p["holder"] = renumber[p["holder"]]
        p["target"] = renumber.get(p["target"]) if p["target"] else None
    for v in pred["events"]:
        for part in v["participants"]:
            part["entity"] = renumber[part["entity"]]
    for kind in ("entities", "events", "quotes", "positions"):
        rng.shuffle(pred[kind])
    s = score_article(GOLD, pred)
    assert all(c.f1 == 1.0 for c in s.counts.values())
    assert all(t.accuracy == 1.0 for t in s.fields.values())


@pytest.mark.parametrize(("gold_name", "pred_name"), [
    ("سيرغي لافروف", "سيرجي لافروف"),
    ("منظمة شنغهاي للتعاون", "منظمة شانغهاي للتعاون"),
    ("منظمة شنغهاي للتعاون", "منظمة شنجهاي للتعاون"),
    ("إسحاق دار", "اسحاق دار"),
])
def test_spelling_variants_of_a_name_still_match(gold_name: str, pred_name: str) -> None:
    def doc(name: str) -> dict[str, Any]:
        base = copy.deepcopy(GOLD)
        base["entities"] = [{"id": "E1", "type": "person", "name": name, "aliases": [],
                             "name_en": None, "title": None, "country": None}]
        base["events"], base["quotes"], base["positions"] = [], [], []
        return base

    assert score_article(doc(gold_name), doc(pred_name)).counts["entities"].f1 == 1.0


def test_different_people_do_not_match() -> None:
    pred = copy.deepcopy(GOLD)
    pred["entities"] = [{"id": "E1", "type": "person", "name": "فلاديمير بوتين", "aliases": [],
                         "name_en": None, "title": None, "country": None}]
    pred["events"], pred["quotes"], pred["positions"] = [], [], []
    assert score_article(GOLD, pred).counts["entities"].tp == 0


@pytest.mark.parametrize("prediction", [
    None, "garbage", {"entities": "nope"}, {"schema_version": "1"},
])
def test_garbage_scores_zero_and_counts_as_invalid(prediction: Any) -> None:
    s = score_article(GOLD, prediction)
    assert not s.valid
    assert all(c.f1 == 0.0 for c in s.counts.values())


def test_an_empty_prediction_scores_zero() -> None:
    empty = {**copy.deepcopy(GOLD), "entities": [], "events": [], "quotes": [],
             "positions": []}
    s = score_article(GOLD, empty)
    assert s.valid
    assert all(c.f1 == 0.0 and c.fn > 0 for c in s.counts.values())


def test_a_wrong_speaker_costs_speaker_accuracy_but_not_the_quote_match() -> None:
    pred = copy.deepcopy(GOLD)
    lavrov = pred["quotes"][0]["speaker"]
    other = next(e["id"] for e in pred["entities"] if e["id"] != lavrov)
    pred["quotes"][0]["speaker"] = other
    s = score_article(GOLD, pred)
    assert s.counts["quotes"].f1 == 1.0
    assert s.fields["quote.speaker"].accuracy == pytest.approx(
        1 - 1 / len(pred["quotes"]))


def test_an_ungrounded_quote_is_a_false_positive() -> None:
    pred = copy.deepcopy(GOLD)
    pred["quotes"].append({**pred["quotes"][0], "id": "Q99", "text": "كلام مخترع",
                           "start": -1, "end": -1, "grounding": "none"})
    s = score_article(GOLD, pred)
    assert s.counts["quotes"].fp == 1 and s.counts["quotes"].recall == 1.0
    assert s.grounded == s.spans - 1


def test_micro_average_pools_counts_across_articles() -> None:
    perfect = score_article(GOLD, GOLD)
    empty = score_article(GOLD, {**copy.deepcopy(GOLD), "quotes": []})
    overall = suite_summary([perfect, empty])
    n = len(GOLD["quotes"])
    assert overall["kinds"]["quotes"]["recall"] == pytest.approx(n / (2 * n))


ALL_GOLD = sorted(GOLD_DIR.parent.parent.glob("*/gold/*.json"))


@pytest.mark.parametrize("path", ALL_GOLD, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_gold_files_follow_the_contract_and_every_span_is_exact(path: Path) -> None:
    gold = json.loads(path.read_text(encoding="utf-8"))
    ExtractionResponse.model_validate(gold)
    text = (path.parent.parent / "articles" / f"{path.stem}.txt").read_text(encoding="utf-8")
    spans = [(q["text"], q["start"], q["end"], q["grounding"]) for q in gold["quotes"]]
    spans += [(r["evidence"]["text"], r["evidence"]["start"], r["evidence"]["end"],
               r["evidence"]["grounding"]) for r in [*gold["events"], *gold["positions"]]]
    spans += [(m["text"], m["start"], m["end"], m["grounding"])
              for e in gold["entities"] for m in e["mentions"]]
    for span_text, start, end, grounding in spans:
        assert grounding == "exact"
        assert text[start:end] == span_text
    assert gold["schema_version"] == "1.1"
    assert all(e["mentions"] for e in gold["entities"]), "an entity the article never names"
    assert score_article(gold, gold).counts["entities"].f1 == 1.0
