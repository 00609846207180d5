"""Batch extraction: many articles in, one JSON line per article out, resumable.

The output file is the record of what is done. Each finished article is appended as one whole
line (a single ``write`` of the encoded line, then ``fsync``), so a batch killed at any moment
leaves complete lines and at most one partial tail, which the next run cuts off before it
appends. A run skips every article the file already holds a result for; failed articles are
skipped too unless ``retry_failed``, and once the run ends the file is compacted (atomically,
through a temporary file) to exactly one line per article: its latest outcome.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.contract import ExtractionResponse, ExtractRequest
from service.errors import KhabarError


@dataclass
class BatchItem:
    id: str
    request: ExtractRequest | None
    error: dict[str, str] | None = None  # the input itself was unusable


@dataclass
class BatchSummary:
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        done = self.succeeded + self.failed
        return done / self.seconds if self.seconds else 0.0


def _invalid(item_id: str, exc: Exception) -> BatchItem:
    message = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                        for e in exc.errors()) if isinstance(exc, ValidationError) else str(exc)
    return BatchItem(item_id, None, {"code": "invalid_request", "message": message})


def read_inputs(source: Path, *, defaults: dict[str, Any] | None = None) -> Iterator[BatchItem]:
    """Articles from a folder of ``.txt`` files (id = file name without ``.txt``) or from a
    JSONL file of requests (id = the request's ``id``, else ``line-N``)."""
    defaults = defaults or {}
    if source.is_dir():
        for path in sorted(source.glob("*.txt")):
            try:
                text = path.read_text(encoding="utf-8")
                yield BatchItem(path.stem, ExtractRequest(id=path.stem, text=text, **defaults))
            except (ValidationError, UnicodeDecodeError) as exc:
                yield _invalid(path.stem, exc)
        return
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item_id = f"line-{number}"
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("each line must be a JSON object (a request)")
                item_id = str(data.get("id") or item_id)
                yield BatchItem(item_id, ExtractRequest.model_validate(
                    {**defaults, **data, "id": item_id}))
            except (ValueError, ValidationError) as exc:
                yield _invalid(item_id, exc)


def repair(out: Path, block: int = 65_536) -> None:
    """Cut a partial last line left by a run that was killed mid-write (reading only the
    file's tail: a results file can be large)."""
    if not out.exists() or out.stat().st_size == 0:
        return
    with out.open("rb+") as handle:
        end = handle.seek(0, os.SEEK_END)
        handle.seek(end - 1)
        if handle.read(1) == b"\n":
            return
        cut = 0  # no newline at all: the whole file is one partial line
        position = end
        while position > 0:
            start = max(0, position - block)
            handle.seek(start)
            newline = handle.read(position - start).rfind(b"\n")
            if newline >= 0:
                cut = start + newline + 1
                break
            position = start
        handle.truncate(cut)
        handle.flush()
        os.fsync(handle.fileno())


def outcomes(out: Path) -> dict[str, bool]:
    """Each article id in ``out`` and whether its latest line is a success."""
    done: dict[str, bool] = {}
    if out.exists():
        with out.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                    done[str(record["id"])] = bool(record["ok"])
                except (ValueError, KeyError, TypeError):
                    continue  # not one of ours; left as it is
    return done


class _Appender:
    def __init__(self, out: Path):
        self._fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)
            os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def compact(out: Path) -> None:
    """Keep only the latest line per article, replacing the file atomically."""
    if not out.exists():
        return
    latest: dict[str, str] = {}
    with out.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                latest[str(json.loads(line)["id"])] = line if line.endswith("\n") else line + "\n"
            except (ValueError, KeyError, TypeError):
                continue
    temporary = out.with_name(out.name + ".compacting")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.writelines(latest.values())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, out)


def outcome(item: BatchItem, extract: Callable[[ExtractRequest], ExtractionResponse]
            ) -> dict[str, Any]:
    """The result line of one article: ``ok`` with the result, or ``error`` with why."""
    if item.request is None:
        return {"id": item.id, "ok": False, "error": item.error}
    try:
        result = extract(item.request)
    except KhabarError as exc:
        return {"id": item.id, "ok": False,
                "error": {"code": exc.code, "message": exc.message}}
    except Exception as exc:  # one bad article never stops the batch
        return {"id": item.id, "ok": False,
                "error": {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"}}
    return {"id": item.id, "ok": True, "result": result.model_dump(mode="json")}


def run_batch(items: Iterable[BatchItem], extract: Callable[[ExtractRequest], ExtractionResponse],
              out: Path, *, concurrency: int = 4, retry_failed: bool = False,
              on_total: Callable[[int], None] = lambda n: None,
              on_done: Callable[[str, bool], None] = lambda i, ok: None) -> BatchSummary:
    """Extract every item not already done in ``out``; one appended line per finished item."""
    started = time.perf_counter()
    repair(out)
    done = outcomes(out)
    summary = BatchSummary()
    todo: list[BatchItem] = []
    seen: set[str] = set()
    for item in items:
        summary.total += 1
        if item.id in seen or (item.id in done and (done[item.id] or not retry_failed)):
            summary.skipped += 1  # done before (or a repeated id in the input)
            continue
        seen.add(item.id)
        todo.append(item)
    on_total(len(todo))

    def one(item: BatchItem) -> dict[str, Any]:
        return outcome(item, extract)

    appender = _Appender(out)
    try:
        with ThreadPoolExecutor(max(1, concurrency)) as pool:
            pending: set[Future[dict[str, Any]]] = set()
            queue = iter(todo)
            # Bounded submission: a huge input is never all in flight (or in memory) at once.
            for item in queue:
                pending.add(pool.submit(one, item))
                if len(pending) >= 2 * max(1, concurrency):
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        _record(future.result(), appender, summary, on_done)
            for future in pending:
                _record(future.result(), appender, summary, on_done)
    finally:
        appender.close()
    compact(out)
    summary.seconds = time.perf_counter() - started
    return summary


def _record(record: dict[str, Any], appender: _Appender, summary: BatchSummary,
            on_done: Callable[[str, bool], None]) -> None:
    appender.write(record)
    if record["ok"]:
        summary.succeeded += 1
    else:
        summary.failed += 1
        summary.failures.append(f"{record['id']}: {record['error']['message']}")
    on_done(record["id"], record["ok"])
