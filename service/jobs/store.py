"""A job's state in Redis: its requests, one result line per article, and its counts.

Every write is keyed by the article's place in the job, so doing an article twice (a task
handed out again after its worker died) overwrites its line with the same line: nothing is
duplicated, and counts come from the lines themselves.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis


class JobNotFound(KeyError):
    pass


@dataclass
class JobStatus:
    id: str
    state: str  # queued, running, done
    total: int
    done: int
    failed: int
    created: float

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "total": self.total, "done": self.done,
                "succeeded": self.done - self.failed, "failed": self.failed,
                "created": self.created}


class JobStore:
    def __init__(self, url: str, *, ttl_s: int = 7 * 24 * 3600):
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        self._ttl = ttl_s

    def _key(self, job_id: str, part: str) -> str:
        return f"khabar:job:{job_id}:{part}"

    def create(self, requests: list[dict[str, Any]]) -> str:
        """A new job of ``requests`` (request JSON each); returns its id."""
        job_id = uuid.uuid4().hex
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._key(job_id, "meta"), mapping={"total": len(requests),
                                                       "created": time.time()})
        for start in range(0, len(requests), 1000):
            pipe.hset(self._key(job_id, "items"), mapping={
                str(i): json.dumps(r, ensure_ascii=False)
                for i, r in enumerate(requests[start:start + 1000], start)})
        for part in ("meta", "items"):
            pipe.expire(self._key(job_id, part), self._ttl)
        pipe.execute()
        return job_id

    def delete(self, job_id: str) -> None:
        """Forget a job (one that could not be queued whole); its queued tasks find nothing."""
        self._redis.delete(*(self._key(job_id, p) for p in ("meta", "items", "lines", "failed")))

    def item(self, job_id: str, index: int) -> dict[str, Any] | None:
        raw = self._redis.hget(self._key(job_id, "items"), str(index))
        return json.loads(raw) if raw is not None else None

    def is_done(self, job_id: str, index: int) -> bool:
        return bool(self._redis.hexists(self._key(job_id, "lines"), str(index)))

    def record(self, job_id: str, index: int, line: dict[str, Any]) -> None:
        pipe = self._redis.pipeline(transaction=True)
        self._record(pipe, job_id, index, line)
        pipe.execute()

    def _record(self, pipe: Any, job_id: str, index: int, line: dict[str, Any]) -> None:
        lines, failed = self._key(job_id, "lines"), self._key(job_id, "failed")
        pipe.hset(lines, str(index), json.dumps(line, ensure_ascii=False))
        if line["ok"]:
            pipe.srem(failed, str(index))
        else:
            pipe.sadd(failed, str(index))
        # These keys come into being with the first line: their lifetime starts then (NX: the
        # first write sets it, later ones leave it).
        pipe.expire(lines, self._ttl, nx=True)
        pipe.expire(failed, self._ttl, nx=True)

    def status(self, job_id: str) -> JobStatus:
        pipe = self._redis.pipeline(transaction=False)
        pipe.hgetall(self._key(job_id, "meta"))
        pipe.hlen(self._key(job_id, "lines"))
        pipe.scard(self._key(job_id, "failed"))
        meta, done, failed = pipe.execute()
        if not meta:
            raise JobNotFound(job_id)
        total = int(meta[b"total"])
        state = "done" if done >= total else ("running" if done else "queued")
        return JobStatus(id=job_id, state=state, total=total, done=done, failed=failed,
                         created=float(meta[b"created"]))

    def lines(self, job_id: str, block: int = 500) -> Iterator[str]:
        """The finished lines in the order of the job's articles."""
        total = self.status(job_id).total
        for start in range(0, total, block):
            fields = [str(i) for i in range(start, min(total, start + block))]
            for raw in self._redis.hmget(self._key(job_id, "lines"), fields):
                if raw is not None:
                    yield raw.decode("utf-8")

    def ping(self) -> None:
        self._redis.ping()
