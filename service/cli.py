"""The ``khabar`` command: serve the API, or extract one article without a server."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import sys
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
            provider: Annotated[Optional[str], typer.Option(help="local, local:PATH or "
                                                            "openai:MODEL")] = None,
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


if __name__ == "__main__":
    app()
