"""Turning an annotator's labels into gold: spans found verbatim, or every problem named."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from evals.agreement import agreement
from evals.annotation import AnnotationError, resolve
from tests.conftest import article

A003 = article("003")

LABELS: dict[str, Any] = {
    "article": {"title": None, "published": None, "source": None},
    "entities": [
        {"id": "E1", "type": "person", "name": "سيرغي لافروف", "aliases": ["لافروف"],
         "name_en": "Sergey Lavrov", "title": "وزير الخارجية الروسي", "country": "RU"},
        {"id": "E2", "type": "person", "name": "شاه محمود قريشي", "aliases": [],
         "name_en": "Shah Mahmood Qureshi", "title": "وزير الخارجية الباكستاني",
         "country": "PK"},
    ],
    "events": [{
        "id": "V1", "type": "CONSULT", "mode": "meet", "summary_en": "Lavrov met Qureshi.",
        "participants": [{"entity": "E1", "role": "actor"},
                         {"entity": "E2", "role": "counterpart"}],
        "date": None, "location": None, "status": "occurred",
        "evidence": "التقى وزير الخارجية الروسي سيرغي لافروف بنظيره وزير الخارجية الباكستاني "
                    "شاه محمود قريشي"}],
    "quotes": [{"id": "Q1", "speaker": "E1", "kind": "direct", "cue": "قال",
                "text": "هذه فرصة رائعة من أجل ضبط عقارب الساعات"}],
    "positions": [],
}


def test_spans_written_as_text_get_exact_offsets() -> None:
    gold = resolve("003", A003, LABELS, "annotator-A")
    spans = [gold["quotes"][0], gold["events"][0]["evidence"]]
    for span in spans:
        assert span["grounding"] == "exact"
        assert A003[span["start"]:span["end"]] == span["text"]
    assert gold["article"]["id"] == "003"
    assert gold["meta"]["provider"] == "gold" and gold["meta"]["model"] == "annotator-A"


def test_a_span_that_occurs_twice_needs_an_occurrence_and_then_takes_that_one() -> None:
    labels = copy.deepcopy(LABELS)
    labels["quotes"][0]["text"] = "لافروف"
    with pytest.raises(AnnotationError, match="occurs 2 times"):
        resolve("003", A003, labels)
    labels["quotes"][0]["occurrence"] = 2
    quote = resolve("003", A003, labels)["quotes"][0]
    assert quote["start"] == A003.index("لافروف", A003.index("لافروف") + 1)


def test_a_span_not_in_the_article_is_refused_with_the_closest_passage() -> None:
    labels = copy.deepcopy(LABELS)
    labels["quotes"][0]["text"] = "هذه فرصة رائعه من اجل ضبط عقارب الساعات"
    with pytest.raises(AnnotationError) as caught:
        resolve("003", A003, labels)
    (problem,) = caught.value.problems
    assert "not in the article verbatim" in problem
    assert "هذه فرصة رائعة من أجل ضبط عقارب الساعات" in problem


def test_every_problem_is_reported_in_one_pass() -> None:
    labels = copy.deepcopy(LABELS)
    labels["quotes"][0]["text"] = "نص لم يرد في المقال أبدا"
    labels["events"][0]["evidence"] = {"text": "لافروف", "occurrence": 5}
    with pytest.raises(AnnotationError) as caught:
        resolve("003", A003, labels)
    assert len(caught.value.problems) == 2
    assert any("occurrence 5" in p for p in caught.value.problems)


def test_a_reference_to_a_missing_entity_is_refused() -> None:
    labels = copy.deepcopy(LABELS)
    labels["quotes"][0]["speaker"] = "E9"
    with pytest.raises(AnnotationError, match="E9"):
        resolve("003", A003, labels)


def test_agreement_of_a_labelling_with_itself_is_one_and_a_missed_quote_costs_recall() -> None:
    first = resolve("003", A003, LABELS)
    same = agreement({"003": first}, {"003": copy.deepcopy(first)})
    assert all(k["f1"] == 1.0 for k in same["overall"]["kinds"].values())
    fewer = copy.deepcopy(first)
    fewer["quotes"] = []
    less = agreement({"003": first}, {"003": fewer})["overall"]["kinds"]["quotes"]
    assert less["recall"] == 0.0
    with pytest.raises(ValueError, match="no article"):
        agreement({"003": first}, {"004": fewer})
