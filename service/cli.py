"""The ``khabar`` command: serve the API, or extract one article without a server."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from evals.cli import app as evals_app

app = typer.Typer(help="Khabar: structured extraction from Arabic news.", no_args_is_help=True)
app.add_typer(evals_app, name="evals")


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # One line per HTTP call (provider calls, a remote job's polling) drowns what matters.
    for name in ("httpx", "httpx2"):  # the openai SDK logs through its own copy, httpx2
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


def _log_config(level: int = logging.INFO) -> dict[str, Any]:
    """uvicorn's logging plus Khabar's own loggers, applied in every worker process."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["khabar"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["khabar"] = {"class": "logging.StreamHandler", "formatter": "khabar",
                                    "stream": "ext://sys.stderr"}
    config["loggers"]["khabar"] = {"handlers": ["khabar"], "level": logging.getLevelName(level),
                                 "propagate": False}
    return config


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
          workers: Annotated[int, typer.Option(min=1, help="Worker processes; they share the "
                                               "cache directory, and each loads its own "
                                               "embedded model")] = 1,
          preload: Annotated[bool, typer.Option(help="Load the model before serving "
                                                "(single worker)")] = True
          ) -> None:
    """Start the HTTP service."""
    import uvicorn

    from service.api import create_app
    from service.settings import get_settings

    if workers > 1:
        # Each worker builds its own app (and provider) from the same KHABAR_* settings.
        uvicorn.run("service.api:create_app", factory=True, host=host, port=port,
                    workers=workers, log_config=_log_config(logging.getLogger().level),
                    access_log=False)
        return
    application = create_app(get_settings())
    if preload:
        provider = application.state.extractor.providers.get()
        load = getattr(provider, "load", None)
        if load is not None:
            load()
    uvicorn.run(application, host=host, port=port,
                log_config=_log_config(logging.getLogger().level), access_log=False)


@app.command()
def extract(article: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                    help="UTF-8 text file of the article")],
            published: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD")] = None,
            provider: Annotated[Optional[str], typer.Option(
                help="rules (default), local, local:PATH, openai:MODEL, rules+MODEL")] = None,
            no_cache: Annotated[bool, typer.Option("--no-cache")] = False,
            strict_grounding: Annotated[bool, typer.Option("--strict-grounding")] = False
            ) -> None:
    """Print the contract JSON for one article."""
    from pydantic import ValidationError

    from schemas.contract import ExtractRequest
    from service.errors import KhabarError
    from service.extractor import Extractor
    from service.settings import get_settings

    try:
        request = ExtractRequest(
            text=article.read_text(encoding="utf-8"), provider=provider,
            published=dt.date.fromisoformat(published) if published else None,
            options={"use_cache": not no_cache, "strict_grounding": strict_grounding})
        response = Extractor(get_settings()).extract(request)
    except (ValidationError, ValueError, KhabarError) as exc:
        message = exc.message if isinstance(exc, KhabarError) else str(exc)
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(2) from exc
    sys.stdout.write(response.model_dump_json(indent=2) + "\n")


def _rate(per_second: float) -> str:
    if per_second <= 0:
        return "–"
    return f"{per_second:.1f} articles/s" if per_second >= 1 else \
        f"{1 / per_second:.0f} s/article"


@app.command()
def batch(source: Annotated[Path, typer.Argument(exists=True, help="A folder of .txt articles, "
                                                 "or a JSONL file of requests")],
          out: Annotated[Path, typer.Option("--out", help="JSONL output: one line per "
                                            "article, its id and its result or error")],
          concurrency: Annotated[Optional[int], typer.Option(
              min=1, help="Articles in flight (default 4; 1 on the embedded model, which "
              "serves one at a time)")] = None,
          retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Redo the "
                                                     "articles that failed before")] = False,
          provider: Annotated[Optional[str], typer.Option(
              help="rules (default), local, local:PATH, openai:MODEL, rules+MODEL")] = None,
          published: Annotated[Optional[str], typer.Option(help="YYYY-MM-DD for every "
                                                           "article without its own")] = None,
          remote: Annotated[Optional[str], typer.Option(
              "--remote", help="Submit to a running service (http://host:port) as a job for "
              "its workers instead of extracting here")] = None,
          job: Annotated[Optional[str], typer.Option(
              "--job", help="With --remote: follow a job submitted before")] = None,
          token: Annotated[Optional[str], typer.Option(
              envvar="KHABAR_REMOTE_TOKEN", help="With --remote: the service's bearer token")]
          = None) -> None:
    """Extract many articles; run it again after an interruption and it resumes. With
    --remote, the articles go to a running service as one job for its Celery workers."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    from service.batch import read_inputs, run_batch
    from service.extractor import Extractor
    from service.settings import get_settings

    defaults: dict[str, Any] = {}
    if provider:
        defaults["provider"] = provider
    if published:
        defaults["published"] = dt.date.fromisoformat(published)
    if remote:
        _remote_batch(read_inputs(source, defaults=defaults), remote, out, token, job)
        return
    if job:
        raise typer.BadParameter("--job follows a job on a service: give --remote URL too",
                                 param_hint="--job")
    extractor = Extractor(get_settings())
    if concurrency is None:
        concurrency = 1 if extractor.providers.get(provider).serial else 4
    console = Console(stderr=True)
    columns = (TextColumn("[bold]extracting"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TextColumn("failed {task.fields[failed]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("batch", total=None, rate="", failed=0)
        started = time.perf_counter()
        failed = 0

        def done(_: str, ok: bool) -> None:
            nonlocal failed
            failed += 0 if ok else 1
            completed = progress.tasks[0].completed + 1
            rate = completed / max(1e-9, time.perf_counter() - started)
            progress.update(task, advance=1, failed=failed, rate=_rate(rate))

        summary = run_batch(read_inputs(source, defaults=defaults), extractor.extract, out,
                            concurrency=concurrency, retry_failed=retry_failed,
                            on_total=lambda n: progress.update(task, total=n), on_done=done)
    console.print(f"{summary.total} articles: {summary.succeeded} extracted, {summary.failed} "
                  f"failed, {summary.skipped} already done; {summary.seconds:.1f} s "
                  f"({_rate(summary.rate)}) → {out}")
    for failure in summary.failures[:20]:
        console.print(f"  [red]failed[/red] {failure}")
    if summary.failed:
        console.print("run again with --retry-failed to redo the failed ones")


def _remote_batch(items: Any, url: str, out: Path, token: str | None, job: str | None) -> None:
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    import httpx

    from service.jobs.remote import RemoteError, run_remote

    console = Console(stderr=True)
    columns = (TextColumn("[bold]job"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TextColumn("failed {task.fields[failed]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    submitted: dict[str, Any] = {}
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("job", total=None, rate="", failed=0)
            started = time.perf_counter()

            def on_submitted(job_id: str, total: int) -> None:
                submitted["id"] = job_id
                progress.console.print(f"job {job_id}: {total} articles")
                progress.update(task, total=total)

            def on_progress(done: int, failed: int) -> None:
                rate = done / max(1e-9, time.perf_counter() - started)
                progress.update(task, completed=done, failed=failed, rate=_rate(rate))

            summary = run_remote(items, url, out, token=token, job_id=job,
                                 on_submitted=on_submitted, on_progress=on_progress)
    except (RemoteError, httpx.HTTPError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        job_id = getattr(exc, "job_id", None) or submitted.get("id")
        if job_id:
            console.print(f"job {job_id} goes on on the service; follow it with "
                          f"--remote {url} --job {job_id}")
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        if "id" in submitted:
            console.print(f"job {submitted['id']} goes on on the service; follow it with "
                          f"--remote {url} --job {submitted['id']}")
        raise typer.Exit(130) from None
    console.print(f"{summary.total} articles: {summary.succeeded} extracted, {summary.failed} "
                  f"failed; {summary.seconds:.1f} s → {out}")
    for failure in summary.failures[:20]:
        console.print(f"  [red]failed[/red] {failure}")


@app.command()
def worker(concurrency: Annotated[Optional[int], typer.Option(
               min=1, help="Articles extracted at once (default KHABAR_WORKER_CONCURRENCY)")]
           = None,
           loglevel: Annotated[str, typer.Option(help="Celery's log level")] = "INFO") -> None:
    """Run a Celery worker for jobs (POST /jobs): start one or more on any machine that
    reaches KHABAR_BROKER_URL."""
    from service.jobs.tasks import make_celery
    from service.settings import get_settings

    settings = get_settings()
    try:
        celery = make_celery(settings)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    # Threads: an article is mostly a wait on the provider, and one process shares its
    # extractor (cache, single-flight, providers) between them.
    celery.worker_main(["worker", "--pool=threads",
                        f"--concurrency={concurrency or settings.worker_concurrency}",
                        f"--loglevel={loglevel}", "--without-gossip", "--without-mingle",
                        "--queues=khabar"])


@app.command()
def view(result: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                                help="Contract JSON from /extract or khabar "
                                                "extract")],
         article: Annotated[Path, typer.Option("--article", exists=True, dir_okay=False,
                                               help="The article the result was extracted "
                                               "from (UTF-8 text)")],
         out: Annotated[Path, typer.Option("--out", help="Where to write the HTML page")]
         = Path("review.html")) -> None:
    """Write a self-contained HTML review page for one result."""
    import json

    from pydantic import ValidationError

    from service.visualization import review_page

    try:
        data = json.loads(result.read_text(encoding="utf-8"))
        # A line of `khabar batch` output carries the response under "result".
        page = review_page(data.get("result", data), article.read_text(encoding="utf-8"))
    except (ValueError, ValidationError) as exc:
        typer.echo(f"error: {result} is not a Khabar result: {str(exc)[:300]}", err=True)
        raise typer.Exit(2) from exc
    out.write_text(page, encoding="utf-8")
    typer.echo(f"written: {out}")


if __name__ == "__main__":
    app()
