"""Reports of a run: a Markdown table, and an HTML page with gold and predicted spans."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from evals.runner import flat_metrics
from evals.scoring import KINDS
from service.visualization import segments

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=jinja2.select_autoescape(["html", "jinja"]), trim_blocks=True, lstrip_blocks=True)


def markdown(results: dict[str, Any]) -> str:
    lines = [f"# Eval: suite `{results['suite']}`", "",
             f"provider `{results['provider']}` · model `{results['model']}` · prompt "
             f"`{results['prompt_version']}` · schema {results['schema_version']} · "
             f"{results['seconds']:.1f} s · tokens {results['tokens']['prompt']} prompt / "
             f"{results['tokens']['completion']} completion", ""]
    tokens, cost = results["tokens"], results.get("cost")
    if "per_article" in tokens:
        lines[-1:-1] = [f"Tokens per article: {tokens['per_article']['prompt']:,.0f} input, "
                        f"{tokens['per_article']['completion']:,.0f} output." + (
                            f" Cost: {cost['suite']:.4f} for the suite, "
                            f"{cost['per_1000_articles']:.2f} per 1,000 articles (at "
                            f"{cost['price_input_per_m']} / {cost['price_output_per_m']} per "
                            "million input / output tokens)." if cost else ""), ""]
    header = "| article | " + " | ".join(f"{k} P / R / F1" for k in KINDS) + \
        " | grounded | valid | s |"
    lines += [header, "|" + "---|" * (len(KINDS) + 4)]

    def row(name: str, scores: dict[str, Any] | None, seconds: str) -> str:
        if not scores:
            return f"| {name} | " + " | ".join("–" for _ in KINDS) + f" | – | – | {seconds} |"
        cells = [f"{scores['kinds'][k]['precision']:.2f} / {scores['kinds'][k]['recall']:.2f} / "
                 f"{scores['kinds'][k]['f1']:.2f}" for k in KINDS]
        grounded = scores["grounding_rate"]
        return (f"| {name} | " + " | ".join(cells) +
                f" | {'–' if grounded is None else f'{grounded:.2f}'} | "
                f"{scores['schema_validity']:.2f} | {seconds} |")

    for a in results["articles"]:
        lines.append(row(a["id"], a.get("scores"), f"{a['seconds']:.1f}"))
    lines.append(row("**micro**", results.get("overall"), f"{results['seconds']:.1f}"))
    overall = results.get("overall") or {}
    if overall.get("fields"):
        lines += ["", "Field accuracy on matched pairs:", "",
                  "| field | accuracy |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in overall["fields"].items()]
    errors = [a for a in results["articles"] if a["error"]]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {a['id']}: {a['error']}" for a in errors]
    return "\n".join(lines) + "\n"


@dataclass
class Run:
    text: str
    classes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def highlight(text: str, spans: list[tuple[int, int, str, str]]) -> list[Run]:
    """Cut ``text`` into runs, each carrying the (kind, note) of every span covering it."""
    return [Run(seg.text, seg.kinds, seg.notes)
            for seg in segments(text, [(s, e, kind, "", note) for s, e, kind, note in spans])]


def _side_spans(doc: dict[str, Any] | None, matched: dict[str, set[int]], miss: str
                ) -> list[tuple[int, int, str, str]]:
    if not doc:
        return []
    spans = []
    for i, q in enumerate(doc.get("quotes", [])):
        status = "hit" if i in matched["quotes"] else miss
        spans.append((q["start"], q["end"], f"quote {status}", f"{q['id']} quote ({q['kind']}, "
                      f"{q['cue']}, speaker {q['speaker']}) — {status}"))
    for kind, label in (("events", "event"), ("positions", "position")):
        for i, r in enumerate(doc.get(kind, [])):
            status = "hit" if i in matched[kind] else miss
            detail = f"{r['type']}/{r['mode']}, {r['status']}" if kind == "events" \
                else f"{r['stance']}: {r['topic_en']}"
            spans.append((r["evidence"]["start"], r["evidence"]["end"], f"{label} {status}",
                          f"{r['id']} {label} ({detail}) — {status}"))
    return spans


def html(results: dict[str, Any], texts: dict[str, str], golds: dict[str, Any]) -> str:
    articles = []
    for a in results["articles"]:
        text = texts.get(a["id"], "")
        matches = a.get("matches") or {k: [] for k in KINDS}
        gold_hit = {k: {g for g, _ in matches.get(k, [])} for k in KINDS}
        pred_hit = {k: {p for _, p in matches.get(k, [])} for k in KINDS}
        gold_runs = highlight(text, _side_spans(golds.get(a["id"]), gold_hit, "miss"))
        pred_runs = highlight(text, _side_spans(a.get("prediction"), pred_hit, "false-positive"))
        ungrounded = [q["text"] for q in (a.get("prediction") or {}).get("quotes", [])
                      if q["grounding"] == "none"]
        articles.append({"id": a["id"], "scores": a.get("scores"), "error": a["error"],
                         "gold": gold_runs, "pred": pred_runs, "ungrounded": ungrounded,
                         "seconds": a["seconds"]})
    return _TEMPLATES.get_template("report.html.jinja").render(
        results=results, articles=articles, kinds=KINDS, metrics=flat_metrics(results))


def write_reports(results: dict[str, Any], out: Path, texts: dict[str, str],
                  golds: dict[str, Any]) -> None:
    import json

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1),
                                      encoding="utf-8")
    (out / "report.md").write_text(markdown(results), encoding="utf-8")
    (out / "report.html").write_text(html(results, texts, golds), encoding="utf-8")


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, float | None,
                                                             float | None, float | None]]:
    """``(metric, A, B, B - A)`` for every headline metric of either run."""
    ma, mb = flat_metrics(a), flat_metrics(b)
    rows = []
    for name in sorted(set(ma) | set(mb)):
        va, vb = ma.get(name), mb.get(name)
        rows.append((name, va, vb, None if va is None or vb is None else round(vb - va, 4)))
    return rows
