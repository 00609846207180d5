"""Score predicted extractions against gold, per the contract's scoring principles.

Pure logic, no I/O. Per article and per kind, records are aligned one-to-one by an optimal
assignment (scipy's ``linear_sum_assignment``) on a similarity; pairs below the kind's threshold
stay unmatched (a false positive on one side, a false negative on the other). Matched pairs are
then compared field by field. Entity alignment comes first, because speakers, holders and
participants are compared through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from pydantic import ValidationError
from rapidfuzz import fuzz
from scipy.optimize import linear_sum_assignment

from schemas.contract import ExtractionResponse
from service.normalize import normalize

KINDS = ("entities", "events", "quotes", "positions")

# Minimum similarity for two records to count as the same record.
THRESHOLDS = {"entities": 0.85, "events": 0.3, "quotes": 0.4, "positions": 0.3}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Counts) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else (1.0 if not self.fn else 0.0)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else (1.0 if not self.fp else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": round(self.precision, 4),
                "recall": round(self.recall, 4), "f1": round(self.f1, 4)}


@dataclass
class FieldTally:
    correct: float = 0.0
    total: int = 0

    def add(self, score: float) -> None:
        self.correct += score
        self.total += 1

    def merge(self, other: FieldTally) -> None:
        self.correct += other.correct
        self.total += other.total

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


@dataclass
class ArticleScore:
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    fields: dict[str, FieldTally] = field(default_factory=dict)
    # (gold index, predicted index) per kind, for reports.
    matches: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    grounded: int = 0
    spans: int = 0
    valid: bool = True

    def tally(self, name: str, score: float) -> None:
        self.fields.setdefault(name, FieldTally()).add(score)


@dataclass
class SuiteScore:
    counts: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    fields: dict[str, FieldTally] = field(default_factory=dict)
    grounded: int = 0
    spans: int = 0
    valid: int = 0
    articles: int = 0

    def add(self, article: ArticleScore) -> None:
        for kind in KINDS:
            self.counts[kind].add(article.counts[kind])
        for name, tally in article.fields.items():
            self.fields.setdefault(name, FieldTally()).merge(tally)
        self.grounded += article.grounded
        self.spans += article.spans
        self.valid += int(article.valid)
        self.articles += 1


def summarize(counts: dict[str, Counts], fields: dict[str, FieldTally], grounded: int,
              spans: int, valid: float) -> dict[str, Any]:
    return {
        "kinds": {k: c.as_dict() for k, c in counts.items()},
        "fields": {k: round(v.accuracy, 4) for k, v in sorted(fields.items())
                   if v.accuracy is not None},
        "grounding_rate": round(grounded / spans, 4) if spans else None,
        "schema_validity": round(valid, 4),
    }


# Similarities --------------------------------------------------------------------------------
@lru_cache(maxsize=65_536)
def _normalized(name: str) -> str:
    # Names recur across the similarity matrix and across articles; normalise each once.
    return normalize(name)


def _forms(entity: dict[str, Any]) -> list[str]:
    return [f for f in {_normalized(n) for n in [entity["name"], *entity.get("aliases", [])]}
            if f]


def entity_similarity(gold: dict[str, Any], pred: dict[str, Any]) -> float:
    best = 0.0
    for g in _forms(gold):
        for p in _forms(pred):
            best = max(best, 1.0 if g == p else fuzz.ratio(g, p) / 100)
    return best


def _interval(record: dict[str, Any]) -> tuple[int, int]:
    span = record.get("evidence", record)
    return int(span["start"]), int(span["end"])


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    """Intersection over union of two character ranges; 0 for ungrounded (-1) ranges."""
    if a[0] < 0 or b[0] < 0:
        return 0.0
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def _align(gold: Sequence[dict[str, Any]], pred: Sequence[dict[str, Any]],
           similarity: Callable[[dict[str, Any], dict[str, Any]], float],
           threshold: float) -> list[tuple[int, int]]:
    if not gold or not pred:
        return []
    sim = np.array([[similarity(g, p) for p in pred] for g in gold], dtype=float)
    rows, cols = linear_sum_assignment(sim, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if sim[r, c] >= threshold]


def _same_text(a: str | None, b: str | None) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return float(normalize(a) == normalize(b))


def _same_english(a: str | None, b: str | None) -> float:
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    return float(fuzz.ratio(a.lower(), b.lower()) >= 85)


def _same_date(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float:
    va = (a or {}).get("value")
    vb = (b or {}).get("value")
    return float(va == vb and (a or {}).get("end") == (b or {}).get("end"))


def _jaccard(a: set[Any], b: set[Any]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


# Scoring -------------------------------------------------------------------------------------
def validate_prediction(prediction: Any) -> dict[str, Any] | None:
    """The prediction as a contract dict, or None when it does not follow the contract."""
    try:
        return ExtractionResponse.model_validate(prediction).model_dump(mode="json")
    except (ValidationError, TypeError, ValueError):
        return None


def score_article(gold: dict[str, Any], prediction: Any) -> ArticleScore:
    result = ArticleScore()
    pred = validate_prediction(prediction)
    if pred is None:
        result.valid = False
        pred = {k: [] for k in KINDS}

    ent = _align(gold["entities"], pred["entities"], entity_similarity, THRESHOLDS["entities"])
    result.matches["entities"] = ent
    # Predicted entity id -> gold entity id, so references can be compared across the two.
    to_gold = {pred["entities"][p]["id"]: gold["entities"][g]["id"] for g, p in ent}
    for g, p in ent:
        ge, pe = gold["entities"][g], pred["entities"][p]
        result.tally("entity.type", float(ge["type"] == pe["type"]))
        result.tally("entity.country", float(ge.get("country") == pe.get("country")))
        result.tally("entity.name_en", _same_english(ge.get("name_en"), pe.get("name_en")))

    def ref(pred_id: str | None) -> str | None:
        return to_gold.get(pred_id, f"unmatched:{pred_id}") if pred_id else None

    def event_sim(g: dict[str, Any], p: dict[str, Any]) -> float:
        o = overlap(_interval(g), _interval(p))
        return 0.7 * o + 0.3 * float(g["type"] == p["type"]) if o > 0 else 0.0

    ev = _align(gold["events"], pred["events"], event_sim, THRESHOLDS["events"])
    result.matches["events"] = ev
    for g, p in ev:
        ge, pe = gold["events"][g], pred["events"][p]
        result.tally("event.type", float(ge["type"] == pe["type"]))
        result.tally("event.mode", float(ge["mode"] == pe["mode"]))
        result.tally("event.status", float(ge["status"] == pe["status"]))
        result.tally("event.date", _same_date(ge.get("date"), pe.get("date")))
        result.tally("event.participants", _jaccard(
            {(x["entity"], x["role"]) for x in ge["participants"]},
            {(ref(x["entity"]), x["role"]) for x in pe["participants"]}))

    def quote_sim(g: dict[str, Any], p: dict[str, Any]) -> float:
        return overlap(_interval(g), _interval(p))

    qt = _align(gold["quotes"], pred["quotes"], quote_sim, THRESHOLDS["quotes"])
    result.matches["quotes"] = qt
    for g, p in qt:
        gq, pq = gold["quotes"][g], pred["quotes"][p]
        result.tally("quote.speaker", float(gq["speaker"] == ref(pq["speaker"])))
        result.tally("quote.kind", float(gq["kind"] == pq["kind"]))
        result.tally("quote.cue", _same_text(gq["cue"], pq["cue"]))

    def position_sim(g: dict[str, Any], p: dict[str, Any]) -> float:
        o = overlap(_interval(g), _interval(p))
        return 0.7 * o + 0.3 * float(g["holder"] == ref(p["holder"])) if o > 0 else 0.0

    ps = _align(gold["positions"], pred["positions"], position_sim, THRESHOLDS["positions"])
    result.matches["positions"] = ps
    for g, p in ps:
        gp, pp = gold["positions"][g], pred["positions"][p]
        result.tally("position.holder", float(gp["holder"] == ref(pp["holder"])))
        result.tally("position.stance", float(gp["stance"] == pp["stance"]))
        result.tally("position.target", float(gp.get("target") == ref(pp.get("target"))))

    for kind in KINDS:
        matched = len(result.matches[kind])
        result.counts[kind] = Counts(tp=matched, fp=len(pred[kind]) - matched,
                                     fn=len(gold[kind]) - matched)
    spans = [q["grounding"] for q in pred["quotes"]]
    spans += [r["evidence"]["grounding"] for r in [*pred["events"], *pred["positions"]]]
    result.spans = len(spans)
    result.grounded = sum(1 for g in spans if g != "none")
    return result


def article_summary(score: ArticleScore) -> dict[str, Any]:
    return summarize(score.counts, score.fields, score.grounded, score.spans,
                     1.0 if score.valid else 0.0)


def suite_summary(scores: Sequence[ArticleScore]) -> dict[str, Any]:
    total = SuiteScore()
    for s in scores:
        total.add(s)
    return summarize(total.counts, total.fields, total.grounded, total.spans,
                     total.valid / total.articles if total.articles else 0.0)
