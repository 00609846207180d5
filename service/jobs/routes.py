"""``POST /jobs``, ``GET /jobs/{id}``, ``GET /jobs/{id}/results``: jobs over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError

from schemas.contract import ExtractRequest
from service.errors import InvalidRequest, JobNotFoundError, JobsUnavailable
from service.extractor import Extractor
from service.settings import Settings

JSONL_MEDIA = frozenset({"application/x-ndjson", "application/jsonl", "application/x-jsonl"})


def parse_requests(raw: bytes, media: str, *, max_items: int) -> list[dict[str, Any]]:
    """The job's requests, each validated, with ids (given or ``item-N``) unique."""
    try:
        text = raw.decode("utf-8")
        if media in JSONL_MEDIA:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            body = json.loads(text)
            items = body.get("requests") if isinstance(body, dict) else body
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest(f"the job is not JSON (a list of requests) or JSONL in UTF-8: "
                             f"{str(exc)[:200]}") from exc
    if not isinstance(items, list) or not items:
        raise InvalidRequest("a job is a non-empty JSON list of requests (as for /extract), or "
                             "JSONL with one request per line")
    if len(items) > max_items:
        raise InvalidRequest(f"the job has {len(items):,} articles; the limit is "
                             f"{max_items:,} (KHABAR_MAX_JOB_ITEMS)")
    problems: list[str] = []
    requests: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, item in enumerate(items, 1):
        if len(problems) >= 10:
            problems.append("…")
            break
        try:
            request = ExtractRequest.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "request"
            problems.append(f"article {n}: {where}: {first['msg']}")
            continue
        item_id = request.id or f"item-{n}"
        if item_id in seen:
            problems.append(f"article {n}: id {item_id!r} appears twice")
        seen.add(item_id)
        requests.append(request.model_copy(update={"id": item_id}).model_dump(
            mode="json", exclude_none=True))
    if problems:
        raise InvalidRequest("; ".join(problems))
    return requests


def add_job_routes(app: FastAPI, settings: Settings, extractor: Extractor) -> None:
    store = celery = None
    if settings.broker_url:
        from service.jobs.store import JobStore
        from service.jobs.tasks import make_celery

        store = JobStore(settings.broker_url, ttl_s=settings.job_ttl_s)
        celery = make_celery(settings)

    def ready() -> Any:
        if store is None or celery is None:
            raise JobsUnavailable("jobs need a broker: start Redis and set "
                                  "KHABAR_BROKER_URL=redis://host:port/db, then run "
                                  "`khabar worker`")
        return store

    def submit(requests: list[dict[str, Any]]) -> str:
        from service.jobs.tasks import FAN_OUT, TASK

        jobs = ready()
        assert celery is not None
        job_id = None
        try:
            job_id = jobs.create(requests)
            n, step = len(requests), settings.job_fanout
            with celery.producer_or_acquire() as producer:
                if n <= step:
                    for index in range(n):
                        celery.send_task(TASK, args=[job_id, index],
                                         task_id=f"{job_id}-{index}", producer=producer)
                else:  # workers publish the articles' tasks, a range each
                    for start in range(0, n, step):
                        celery.send_task(FAN_OUT, args=[job_id, start, min(n, start + step)],
                                         task_id=f"{job_id}-from-{start}", producer=producer)
        except Exception as exc:
            if job_id is not None:
                try:  # a job queued in part would never finish: forget it whole
                    jobs.delete(job_id)
                except Exception:
                    pass  # the store is down too; its keys expire
            raise JobsUnavailable(f"the job queue is unreachable ({type(exc).__name__}); the "
                                  "job was not created, submit it again") from exc
        return job_id

    def status_of(job_id: str) -> dict[str, Any]:
        from service.jobs.store import JobNotFound

        jobs = ready()
        try:
            return jobs.status(job_id).as_dict()
        except JobNotFound as exc:
            raise JobNotFoundError(f"no job {job_id!r} (unknown, or expired)") from exc
        except Exception as exc:
            raise JobsUnavailable(f"the job store is unreachable ({type(exc).__name__})") \
                from exc

    @app.post("/jobs", status_code=202, openapi_extra={"requestBody": {
        "required": True, "content": {
            "application/json": {"schema": {
                "type": "array", "minItems": 1,
                "items": {"$ref": "#/components/schemas/ExtractRequest"}}},
            "application/x-ndjson": {"schema": {"type": "string"}}}}}, responses={
        202: {"description": "Queued: the job's id and counts"},
        403: {"description": "A request names a provider this deployment does not allow"},
        422: {"description": "Not a list of valid requests"},
        503: {"description": "No broker configured, or it is unreachable"}})
    async def create_job(request: Request) -> JSONResponse:
        """Queue many articles at once: a JSON list of requests (as for ``/extract``), or
        JSONL with one per line. Workers (``khabar worker``) extract them."""
        ready()
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        # Parsing and validating thousands of articles must not hold up the event loop.
        requests = await run_in_threadpool(parse_requests, await request.body(), media,
                                           max_items=settings.max_job_items)
        for item in requests:
            if item.get("provider"):
                extractor.providers.allow(item["provider"])
        job_id = await run_in_threadpool(submit, requests)
        body = await run_in_threadpool(status_of, job_id)
        return JSONResponse(body, status_code=202, headers={"location": f"/jobs/{job_id}"})

    @app.get("/jobs/{job_id}", responses={404: {"description": "No such job"}})
    async def job_status(job_id: str) -> dict[str, Any]:
        """How far a job is: total, done (succeeded + failed), failed, and its state."""
        return await run_in_threadpool(status_of, job_id)

    @app.get("/jobs/{job_id}/results", responses={404: {"description": "No such job"}})
    async def job_results(job_id: str) -> StreamingResponse:
        """The finished articles' lines, JSONL in the job's order, as ``khabar batch`` writes
        them (``ok`` with the result, or ``error``)."""
        await run_in_threadpool(status_of, job_id)
        jobs = ready()

        def lines() -> Iterator[bytes]:
            for line in jobs.lines(job_id):
                yield (line + "\n").encode("utf-8")
        return StreamingResponse(lines(), media_type="application/x-ndjson")
