"""``khabar evals``: run a suite, compare two runs, gate on the baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from evals.scoring import KINDS

app = typer.Typer(help="Run eval suites and compare runs.", no_args_is_help=True)
# Wide enough for the per-kind table when the output is a log file rather than a terminal.
console = Console(width=None if sys.stdout.isatty() else 150)
BUILTIN = Path(__file__).resolve().parent / "suites" / "sco"
BUILTIN_SUITES = sorted(p for p in (Path(__file__).resolve().parent / "suites").iterdir()
                        if (p / "suite.toml").is_file())
BASELINE = Path(__file__).resolve().parent / "baseline.json"


def _print_table(results: dict) -> None:
    table = Table(title=f"{results['suite']} · {results['provider']} · {results['model']}")
    table.add_column("article")
    for kind in KINDS:
        table.add_column(f"{kind} P/R/F1", justify="right")
    table.add_column("grounded", justify="right")
    table.add_column("s", justify="right")

    def cells(scores: dict | None) -> list[str]:
        if not scores:
            return ["–"] * (len(KINDS) + 1)
        out = [f"{scores['kinds'][k]['precision']:.2f}/{scores['kinds'][k]['recall']:.2f}/"
               f"{scores['kinds'][k]['f1']:.2f}" for k in KINDS]
        rate = scores["grounding_rate"]
        return out + ["–" if rate is None else f"{rate:.2f}"]

    for a in results["articles"]:
        table.add_row(a["id"], *cells(a.get("scores")), f"{a['seconds']:.1f}")
    table.add_row("micro", *cells(results.get("overall")), f"{results['seconds']:.1f}")
    console.print(table)


def _spending(results: dict) -> str:
    tokens = results["tokens"]
    line = (f"{results['suite']}: tokens per article {tokens['per_article']['prompt']:,.0f} "
            f"input / {tokens['per_article']['completion']:,.0f} output "
            f"({tokens['prompt']:,} / {tokens['completion']:,} in all)")
    cost = results.get("cost")
    if tokens.get("articles_without_usage"):
        line += f"; {tokens['articles_without_usage']} article(s) failed and are not counted"
    if cost:
        line += (f"; cost {cost['suite']:.4f} for the suite, {cost['per_1000_articles']:.2f} "
                 f"per 1,000 articles (at {cost['price_input_per_m']} / "
                 f"{cost['price_output_per_m']} per million input / output tokens)")
        if len(cost.get("priced", ())) == 1:
            line += f" [yellow]only the {cost['priced'][0]} price was given[/yellow]"
    else:
        line += "; give --price-input/--price-output for the cost"
    return line


@app.command()
def run(suite_dirs: Annotated[Optional[list[Path]], typer.Argument(
            help="Suite folders (default: every built-in suite under evals/suites)")] = None,
        provider: Annotated[Optional[str], typer.Option(help="rules, local, local:PATH, "
                                                        "openai:MODEL, rules+local …")] = None,
        articles: Annotated[Optional[list[str]], typer.Option(
            "--articles", help="Only articles whose id starts with this (repeatable)")] = None,
        out: Annotated[Path, typer.Option(help="Where the reports go (one folder per suite "
                                                "when several run)")] = Path("eval-out"),
        record: Annotated[Optional[Path], typer.Option(help="Save the provider's answers")
                          ] = None,
        replay: Annotated[Optional[Path], typer.Option(help="Answer from a recording")] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
        price_input: Annotated[Optional[float], typer.Option(
            "--price-input", help="Price per million input tokens (default: "
            "KHABAR_PRICE_INPUT_PER_M): the run reports its cost")] = None,
        price_output: Annotated[Optional[float], typer.Option(
            "--price-output", help="Price per million output tokens (default: "
            "KHABAR_PRICE_OUTPUT_PER_M)")] = None,
        check_baseline: Annotated[bool, typer.Option(
            "--check-baseline", help="Exit 1 if a micro-F1 falls below the baseline")] = False,
        update_baseline: Annotated[bool, typer.Option(
            "--update-baseline", help="Write this run's micro-F1s as the new baseline")] = False,
        reason: Annotated[str, typer.Option(help="Why the baseline changes")] = "",
        tolerance: Annotated[float, typer.Option(help="Baseline tolerance")] = 0.05,
        baseline: Annotated[Path, typer.Option(help="Baseline file")] = BASELINE) -> None:
    """Extract every article of one or more suites, score them against gold, write reports,
    and print the figures per suite and over all suites."""
    from evals.report import write_reports
    from evals.runner import baseline_from, check_baseline as find_regressions, combine, \
        run_suite
    from evals.suite import SuiteError, load_suite
    from service.errors import KhabarError
    from service.extractor import Extractor
    from service.settings import get_settings

    folders = suite_dirs or BUILTIN_SUITES
    runs: list[dict] = []
    floors: dict[str, float] = {}
    settings = get_settings()
    prices = {"price_input_per_m": settings.price_input_per_m if price_input is None
              else price_input,
              "price_output_per_m": settings.price_output_per_m if price_output is None
              else price_output}
    try:
        extractor = Extractor(settings)
        for folder in folders:
            suite = load_suite(folder, articles)
            console.print(f"suite {suite.name}: {len(suite.articles)} articles")
            results = run_suite(
                suite, extractor, provider=provider,
                record=_per_suite(record, suite.name, len(folders)),
                replay=_per_suite(replay, suite.name, len(folders)),
                use_cache=not no_cache, **prices,
                progress=lambda a: console.print(f"  {a['id']}: {a['seconds']:.1f} s"
                                                 + (f" [red]{a['error']}[/red]" if a["error"]
                                                    else "")))
            target = out / suite.name if len(folders) > 1 else out
            write_reports(results, target, {a.id: a.text for a in suite.articles},
                          {a.id: a.gold for a in suite.articles if a.gold})
            _print_table(results)
            console.print(_spending(results))
            console.print(f"reports: {target / 'report.md'}, {target / 'report.html'}")
            runs.append(results)
            floors.update({f"{suite.name}/{k}": v for k, v in suite.thresholds.items()})
    except (SuiteError, KhabarError, FileNotFoundError) as exc:
        console.print(f"[red]error:[/red] {getattr(exc, 'message', exc)}")
        raise typer.Exit(2) from exc
    if len(runs) > 1:
        combined = combine(runs)
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(
            {"suites": {r["suite"]: r["overall"] for r in runs}, **combined}, indent=1,
            ensure_ascii=False) + "\n", encoding="utf-8")
        table = Table(title="all suites (micro over every article)")
        table.add_column("suite")
        for kind in KINDS:
            table.add_column(f"{kind} P/R/F1", justify="right")
        for r in [*runs, {"suite": "overall", **combined}]:
            kinds = (r.get("overall") or {}).get("kinds", {})
            table.add_row(r["suite"], *(
                "/".join(f"{kinds[k][m]:.2f}" for m in ("precision", "recall", "f1"))
                if k in kinds else "–" for k in KINDS))
        console.print(table)
        console.print(_spending({"suite": "all suites", **combined}))
    if update_baseline:
        if not reason:
            console.print("[red]error:[/red] --update-baseline needs --reason")
            raise typer.Exit(2)
        baseline.write_text(json.dumps(baseline_from(runs, tolerance, reason), indent=1,
                                       ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"baseline written to {baseline}")
    if check_baseline:
        expected = json.loads(baseline.read_text(encoding="utf-8"))
        problems = find_regressions(runs, expected, floors)
        for problem in problems:
            console.print(f"[red]regression:[/red] {problem}")
        if problems:
            raise typer.Exit(1)
        console.print("baseline check passed")


@app.command()
def oracle(suite_dirs: Annotated[Optional[list[Path]], typer.Argument(
               help="Suite folders (default: every built-in suite)")] = None) -> None:
    """Run every gold file, as the draft a perfect model would write, through the whole path
    (validation, prompt-echo screen, resolver, grounding, chunking) and score it against the
    gold: anything below 1.00 is lost by the pipeline. Exit 1 if anything is."""
    from evals.oracle import OracleProvider
    from evals.runner import run_suite
    from evals.suite import load_suite
    from service.extractor import Extractor
    from service.settings import get_settings

    extractor = Extractor(get_settings())
    lost = False
    for folder in suite_dirs or BUILTIN_SUITES:
        suite = load_suite(folder)
        extractor.providers.register("oracle", OracleProvider(
            {a.text: a.gold for a in suite.articles if a.gold}))
        results = run_suite(suite, extractor, provider="oracle", use_cache=False)
        _print_table(results)
        overall = results["overall"] or {}
        for kind, c in overall.get("kinds", {}).items():
            if c["f1"] < 1.0:
                lost = True
        for name, value in overall.get("fields", {}).items():
            if value < 1.0:
                lost = True
                console.print(f"  {suite.name}: field {name} {value:.3f}")
    if lost:
        raise typer.Exit(1)
    console.print("oracle: every kind and field at 1.00 on every suite")


def _per_suite(path: Optional[Path], name: str, count: int) -> Optional[Path]:
    """One recording file per suite when several run: rec.json → rec.sco.json."""
    if path is None or count == 1:
        return path
    return path.with_name(f"{path.stem}.{name}{path.suffix}")


@app.command()
def compare(a: Annotated[Path, typer.Argument(help="results.json or its folder (before)")],
            b: Annotated[Path, typer.Argument(help="results.json or its folder (after)")]
            ) -> None:
    """Per-metric deltas between two runs."""
    from evals.report import compare as deltas

    def load(path: Path) -> dict:
        path = path / "results.json" if path.is_dir() else path
        return json.loads(path.read_text(encoding="utf-8"))

    ra, rb = load(a), load(b)
    table = Table(title=f"{ra['provider']} ({ra['prompt_version']}) → "
                        f"{rb['provider']} ({rb['prompt_version']})")
    for column in ("metric", "A", "B", "Δ"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, va, vb, delta in deltas(ra, rb):
        style = "" if delta is None or delta == 0 else ("green" if delta > 0 else "red")
        table.add_row(name, "–" if va is None else f"{va:.3f}", "–" if vb is None else
                      f"{vb:.3f}", "–" if delta is None else f"[{style}]{delta:+.3f}[/]"
                      if style else f"{delta:+.3f}")
    console.print(table)


@app.command()
def annotate(article: Annotated[Path, typer.Argument(help="The article .txt")],
             annotation: Annotated[Path, typer.Argument(
                 help="Hand-written labels: the contract with spans as text, no offsets")],
             out: Annotated[Path, typer.Option(help="Gold file to write")],
             annotator: Annotated[str, typer.Option(help="Goes to meta.model")] = "gold"
             ) -> None:
    """Find every labelled span in the article and write a gold file with exact offsets."""
    from evals.annotation import AnnotationError, resolve

    text = article.read_text(encoding="utf-8")
    try:
        labels = json.loads(annotation.read_text(encoding="utf-8"))
        gold = resolve(article.stem, text, labels, annotator)
    except json.JSONDecodeError as exc:
        console.print(f"[red]error:[/red] {annotation} is not JSON: {exc}")
        raise typer.Exit(2) from exc
    except AnnotationError as exc:
        for problem in exc.problems:
            console.print(f"[red]problem:[/red] {problem}", soft_wrap=True)
        raise typer.Exit(1) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(gold, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    console.print(f"{out}: {len(gold['entities'])} entities, {len(gold['events'])} events, "
                  f"{len(gold['quotes'])} quotes, {len(gold['positions'])} positions")


@app.command("agreement")
def agreement_cmd(second: Annotated[Path, typer.Argument(
                      help="Folder of a second annotator's gold files (same names)")],
                  suite_dir: Annotated[Path, typer.Option(
                      "--suite", help="Suite whose gold is the first labelling")] = BUILTIN,
                  first: Annotated[Optional[Path], typer.Option(
                      help="Folder of the first annotator's gold files, in place of the "
                           "suite's gold (two independent labellings before adjudication)")
                  ] = None,
                  out: Annotated[Optional[Path], typer.Option(
                      help="Write report.md, report.html and results.json here")] = None
                  ) -> None:
    """Score a second, independent labelling against the suite's gold."""
    from evals.agreement import agreement
    from evals.report import write_reports
    from evals.suite import SuiteError, load_suite

    try:
        suite = load_suite(suite_dir)
        other = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                 for p in sorted(second.glob("*.json"))}
        reference = {a.id: a.gold for a in suite.articles if a.gold} if first is None else {
            p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(first.glob("*.json"))}
        results = agreement(reference, other)
    except (SuiteError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print_table(results)
    overall = results["overall"]
    for name, value in overall["fields"].items():
        console.print(f"  {name}: {value:.2f}")
    if out is not None:
        texts = {a.id: a.text for a in suite.articles}
        write_reports(results, out, texts, reference)
        console.print(f"reports: {out}")
