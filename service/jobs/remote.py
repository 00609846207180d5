"""The client side of ``khabar batch --remote URL``: submit a job, follow it, fetch its lines."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from service.batch import BatchItem


class RemoteError(Exception):
    def __init__(self, message: str, job_id: str | None = None):
        super().__init__(message)
        self.job_id = job_id  # set once the job exists: it goes on without us


@dataclass
class RemoteSummary:
    job_id: str
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def _check(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:300]
        raise RemoteError(f"the service answered HTTP {response.status_code}: {message}")
    return response.json()  # type: ignore[no-any-return]


def _poll(client: httpx.Client, job_id: str, attempts: int = 8) -> dict[str, Any]:
    """The job's status; a restarting replica or a dropped connection is waited out."""
    for attempt in range(attempts):
        try:
            response = client.get(f"/jobs/{job_id}")
            if response.status_code < 500 or attempt == attempts - 1:
                return _check(response)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
        time.sleep(min(8.0, 0.25 * 2 ** attempt))
    raise AssertionError("unreachable")


def run_remote(items: Iterable[BatchItem], url: str, out: Path, *, token: str | None = None,
               job_id: str | None = None, poll_s: float = 0.5,
               on_submitted: Callable[[str, int], None] = lambda j, n: None,
               on_progress: Callable[[int, int], None] = lambda done, failed: None
               ) -> RemoteSummary:
    """Submit ``items`` as one job to the service at ``url`` (or follow ``job_id``), wait for
    it, and write every article's line to ``out`` (inputs that could not be read too)."""
    started = time.perf_counter()
    headers = {"authorization": f"Bearer {token}"} if token else {}
    unreadable: list[dict[str, Any]] = []
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=120) as client:
        if job_id is None:
            requests = []
            for item in items:
                if item.request is None:
                    unreadable.append({"id": item.id, "ok": False, "error": item.error})
                else:
                    requests.append({**item.request.model_dump(mode="json", exclude_none=True),
                                     "id": item.id})
            if not requests:
                raise RemoteError("no readable article to submit")
            body = json.dumps(requests, ensure_ascii=False).encode("utf-8")
            job_id = _check(client.post("/jobs", content=body,
                                        headers={"content-type": "application/json"}))["id"]
        try:
            status = _poll(client, job_id)
            on_submitted(job_id, status["total"])
            while status["state"] != "done":
                on_progress(status["done"], status["failed"])
                time.sleep(poll_s)
                status = _poll(client, job_id)
        except (RemoteError, httpx.HTTPError) as exc:
            raise RemoteError(str(exc), job_id) from exc
        on_progress(status["done"], status["failed"])
        summary = RemoteSummary(job_id=job_id)
        tmp = out.with_name(out.name + ".part")
        with tmp.open("w", encoding="utf-8") as sink, \
                client.stream("GET", f"/jobs/{job_id}/results") as response:
            if response.status_code >= 400:
                response.read()
                _check(response)
            for raw in [*response.iter_lines(), *(json.dumps(u, ensure_ascii=False)
                                                  for u in unreadable)]:
                if not raw.strip():
                    continue
                line = json.loads(raw)
                summary.total += 1
                if line["ok"]:
                    summary.succeeded += 1
                else:
                    summary.failed += 1
                    summary.failures.append(f"{line['id']}: {line['error']['message']}")
                sink.write(raw + "\n")
        os.replace(tmp, out)
    summary.seconds = time.perf_counter() - started
    return summary
