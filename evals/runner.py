"""Run a suite through the service's own extraction path and score it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from evals.recording import Recorder, Replayer
from evals.scoring import Counts, article_summary, score_article, suite_summary
from evals.suite import Suite
from schemas.contract import SCHEMA_VERSION, ExtractRequest
from service.errors import KhabarError
from service.extractor import Extractor


def run_suite(suite: Suite, extractor: Extractor, *, provider: str | None = None,
              record: Path | None = None, replay: Path | None = None,
              use_cache: bool = True, progress: Any = None) -> dict[str, Any]:
    """Extract and score every article; returns the ``results.json`` document."""
    spec = provider or extractor.settings.provider
    version = extractor.prompts.version
    recorder = None
    if replay is not None:
        extractor.providers.register(spec, Replayer(replay, version))
    if record is not None:
        recorder = Recorder(extractor.providers.get(spec), version)
        extractor.providers.register(spec, recorder)
    identity = extractor.providers.get(spec).identity

    articles: list[dict[str, Any]] = []
    scores = []
    started = time.perf_counter()
    for item in suite.articles:
        request = ExtractRequest(text=item.text, id=item.id, published=item.published,
                                 provider=spec, options={"use_cache": use_cache})
        t0 = time.perf_counter()
        prediction: dict[str, Any] | None = None
        error = None
        try:
            prediction = extractor.extract(request).model_dump(mode="json")
        except KhabarError as exc:
            error = f"{exc.code}: {exc.message}"
        seconds = time.perf_counter() - t0
        entry: dict[str, Any] = {"id": item.id, "seconds": round(seconds, 3), "error": error,
                                 "prediction": prediction,
                                 "usage": (prediction or {}).get("meta", {}).get("usage"),
                                 "cached": (prediction or {}).get("meta", {}).get("cached")}
        if item.gold is not None:
            score = score_article(item.gold, prediction)
            scores.append(score)
            entry["scores"] = article_summary(score)
            entry["matches"] = score.matches
        articles.append(entry)
        if progress is not None:
            progress(entry)
    if recorder is not None and record is not None:
        recorder.save(record)

    usage = [a["usage"] for a in articles if a["usage"]]
    return {
        "suite": suite.name, "provider": identity.name, "model": identity.model,
        "prompt_version": version, "schema_version": SCHEMA_VERSION,
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        "tokens": {"prompt": sum(u["prompt_tokens"] for u in usage),
                   "completion": sum(u["completion_tokens"] for u in usage)},
        "overall": suite_summary(scores) if scores else None,
        "articles": articles,
    }


def flat_metrics(results: dict[str, Any]) -> dict[str, float]:
    """The run's headline numbers as ``name -> value`` (for compare and the baseline gate)."""
    overall = results.get("overall") or {}
    out: dict[str, float] = {}
    for kind, c in overall.get("kinds", {}).items():
        for metric in ("precision", "recall", "f1"):
            out[f"{kind}.{metric}"] = c[metric]
    for name, value in overall.get("fields", {}).items():
        out[f"field.{name}"] = value
    for name in ("grounding_rate", "schema_validity"):
        if overall.get(name) is not None:
            out[name] = overall[name]
    return out


def combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Several suites' runs as one: per-kind counts summed, P/R/F1 recomputed (micro over
    every article of every suite)."""
    totals: dict[str, dict[str, int]] = {}
    for results in runs:
        for kind, c in ((results.get("overall") or {}).get("kinds") or {}).items():
            t = totals.setdefault(kind, {"tp": 0, "fp": 0, "fn": 0})
            for key in t:
                t[key] += int(c[key])
    kinds = {}
    for kind, t in totals.items():
        counts = Counts(**t)
        kinds[kind] = counts.as_dict()
    return {"suites": [r["suite"] for r in runs], "overall": {"kinds": kinds},
            "seconds": round(sum(r["seconds"] for r in runs), 3)}


def flat_metrics_of(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Every suite's headline numbers prefixed with its name, and the combined F1s under
    ``overall/`` (one run alone keeps the plain names too)."""
    out: dict[str, float] = {}
    for results in runs:
        out.update({f"{results['suite']}/{k}": v for k, v in flat_metrics(results).items()})
    combined = combine(runs)
    out.update({f"overall/{k}": v for k, v in flat_metrics(combined).items()})
    return out


def check_baseline(results: dict[str, Any] | list[dict[str, Any]], baseline: dict[str, Any],
                   floors: dict[str, float]) -> list[str]:
    """Regressions: micro-F1s below baseline by more than its tolerance, and missed floors
    (``floors`` keyed as the metrics are: "sco/schema_validity")."""
    runs = results if isinstance(results, list) else [results]
    metrics = flat_metrics_of(runs)
    if len(runs) == 1:
        metrics.update(flat_metrics(runs[0]))
    tolerance = float(baseline.get("tolerance", 0.0))
    problems = []
    for name, expected in baseline.get("metrics", {}).items():
        got = metrics.get(name)
        if got is None or got < expected - tolerance:
            problems.append(f"{name}: {got} is below the baseline {expected} "
                            f"(tolerance {tolerance})")
    for name, floor in floors.items():
        got = metrics.get(name)
        if got is None or got < floor:
            problems.append(f"{name}: {got} is below the suite's floor {floor}")
    return problems


def baseline_from(results: dict[str, Any] | list[dict[str, Any]], tolerance: float,
                  reason: str) -> dict[str, Any]:
    runs = results if isinstance(results, list) else [results]
    metrics = flat_metrics_of(runs)
    first = runs[0]
    return {"provider": first["provider"], "model": first["model"],
            "prompt_version": first["prompt_version"], "reason": reason,
            "tolerance": tolerance, "suites": [r["suite"] for r in runs],
            "metrics": {k: v for k, v in metrics.items() if k.endswith(".f1")}}
