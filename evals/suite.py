"""A suite on disk: ``articles/*.txt``, ``gold/*.json`` with the same stems, ``suite.toml``."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SuiteArticle:
    id: str
    text: str
    published: dt.date | None
    gold: dict[str, Any] | None


@dataclass(frozen=True)
class Suite:
    name: str
    root: Path
    articles: list[SuiteArticle]
    thresholds: dict[str, float] = field(default_factory=dict)


class SuiteError(ValueError):
    pass


def load_suite(root: Path, only: list[str] | None = None) -> Suite:
    """Read a suite folder; ``only`` keeps articles whose id starts with one of its items."""
    if not (root / "articles").is_dir():
        raise SuiteError(f"{root} is not a suite: it has no articles/ folder")
    config: dict[str, Any] = {}
    if (root / "suite.toml").is_file():
        config = tomllib.loads((root / "suite.toml").read_text(encoding="utf-8"))
    published = {str(k): v for k, v in config.get("published", {}).items()}
    articles = []
    for path in sorted((root / "articles").glob("*.txt")):
        if only and not any(path.stem.startswith(prefix) for prefix in only):
            continue
        gold_path = root / "gold" / f"{path.stem}.json"
        date = published.get(path.stem)
        if isinstance(date, str):
            date = dt.date.fromisoformat(date)
        articles.append(SuiteArticle(
            id=path.stem, text=path.read_text(encoding="utf-8"), published=date,
            gold=json.loads(gold_path.read_text(encoding="utf-8")) if gold_path.is_file()
            else None))
    if not articles:
        raise SuiteError(f"no articles selected in {root / 'articles'}")
    return Suite(name=str(config.get("name", root.name)), root=root, articles=articles,
                 thresholds={k: float(v) for k, v in config.get("thresholds", {}).items()})
