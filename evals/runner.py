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


def usage_and_cost(usage: list[dict[str, int]], n_articles: int, *,
                   price_input_per_m: float | None = None,
                   price_output_per_m: float | None = None) -> dict[str, Any]:
    """Tokens of a run in all and per article, and what they cost at the given prices.

    Prices are per million tokens, in whatever currency they are given in. A cache hit carries
    the tokens of the call that made the answer, so the figures are what the answers cost to
    make, whether or not this run paid for them again.
    """
    prompt = sum(u.get("prompt_tokens", 0) for u in usage)
    completion = sum(u.get("completion_tokens", 0) for u in usage)
    per = max(1, n_articles)
    out: dict[str, Any] = {"prompt": prompt, "completion": completion,
                           "per_article": {"prompt": round(prompt / per, 1),
                                           "completion": round(completion / per, 1)}}
    if price_input_per_m is None and price_output_per_m is None:
        return {"tokens": out, "cost": None}
    # One price alone counts the other side as free: say so beside the figure.
    cost = (prompt * (price_input_per_m or 0.0) + completion * (price_output_per_m or 0.0)) / 1e6
    return {"tokens": out, "cost": {
        "price_input_per_m": price_input_per_m or 0.0,
        "price_output_per_m": price_output_per_m or 0.0,
        "priced": [side for side, price in (("input", price_input_per_m),
                                            ("output", price_output_per_m))
                   if price is not None],
        "suite": round(cost, 6), "per_article": round(cost / per, 6),
        "per_1000_articles": round(cost / per * 1000, 4)}}


def run_suite(suite: Suite, extractor: Extractor, *, provider: str | None = None,
              record: Path | None = None, replay: Path | None = None,
              use_cache: bool = True, progress: Any = None,
              price_input_per_m: float | None = None,
              price_output_per_m: float | None = None) -> dict[str, Any]:
    """Extract and score every article; returns the ``results.json`` document."""
    spec = provider or extractor.settings.provider
    recorder = None
    if replay is not None:
        extractor.providers.register(
            spec, Replayer(replay, lambda name: extractor.prompt_set(name).version))
    if record is not None:
        inner = extractor.providers.get(spec)
        recorder = Recorder(inner, extractor.prompts_for(inner).version)
        extractor.providers.register(spec, recorder)
    identity = extractor.providers.get(spec).identity
    version = extractor.prompts_for(extractor.providers.get(spec)).version

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
    # Per article over the articles answered: a failed call's tokens are not reported to us,
    # so the figures leave out what failures cost (their count is reported beside them).
    spent = usage_and_cost(usage, len(usage), price_input_per_m=price_input_per_m,
                           price_output_per_m=price_output_per_m)
    spent["tokens"]["articles_without_usage"] = len(articles) - len(usage)
    return {
        "suite": suite.name, "provider": identity.name, "model": identity.model,
        "prompt_version": version, "schema_version": SCHEMA_VERSION,
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 3),
        **spent,
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
    usage = [a["usage"] for r in runs for a in r.get("articles", []) if a.get("usage")]
    prices = next((r["cost"] for r in runs if r.get("cost")), None) or {}
    spent = usage_and_cost(usage, len(usage),
                           price_input_per_m=prices.get("price_input_per_m"),
                           price_output_per_m=prices.get("price_output_per_m"))
    return {"suites": [r["suite"] for r in runs], "overall": {"kinds": kinds},
            "seconds": round(sum(r["seconds"] for r in runs), 3), **spent}


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
