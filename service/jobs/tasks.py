"""The Celery application: the API enqueues one task per article, ``khabar worker`` runs them.

Tasks are acknowledged late (after the article's line is stored) and handed out again when a
worker dies holding them; an article already done is skipped, and doing one twice rewrites the
same line, so a job loses nothing and duplicates nothing.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from typing import Any

import redis
from celery import Celery

from schemas.contract import ExtractRequest
from service.batch import BatchItem, outcome
from service.jobs.store import JobStore
from service.settings import Settings, get_settings

log = logging.getLogger("khabar.jobs")
TASK = "khabar.extract_item"
FAN_OUT = "khabar.enqueue_range"


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ValueError("jobs need a broker: set KHABAR_BROKER_URL=redis://host:port/db")
    app = Celery("khabar", broker=settings.broker_url)
    app.conf.update(
        # Acknowledged once the article's line is stored; a worker that dies before that
        # leaves the task unacknowledged, and the broker hands it out again after the
        # visibility timeout (below).
        task_acks_late=True,
        task_reject_on_worker_lost=True,  # the same for a prefork child lost mid-task
        worker_prefetch_multiplier=1,
        broker_transport_options={
            "visibility_timeout": settings.job_visibility_timeout_s,
            # How often a worker looks for tasks whose worker died (one Redis range query).
            # Kombu's default sweep comes every 100 s; a lost article should wait about its
            # visibility timeout, not that.
            "unacked_restore_interval": max(1, min(10, int(settings.job_visibility_timeout_s
                                                           / 4))),
            "unacked_restore_throttle": 1},
        task_serializer="json", accept_content=["json"], task_ignore_result=True,
        broker_connection_retry_on_startup=True, worker_hijack_root_logger=False,
        task_default_queue="khabar")
    # A Redis hiccup on the job store must not lose the article: the task is tried again
    # (an exception would otherwise acknowledge it with no line written).
    retrying = {"autoretry_for": (redis.RedisError,), "retry_backoff": True,
                "retry_backoff_max": 60, "max_retries": 30}
    app.task(name=TASK, bind=True, ignore_result=True, **retrying)(_extract_item)
    app.task(name=FAN_OUT, bind=True, ignore_result=True, **retrying)(_enqueue_range)
    return app


def _enqueue_range(task: Any, job_id: str, start: int, stop: int) -> None:
    """Queue one task per article of ``[start, stop)``: a large job's tasks are published by
    workers, many at a time, rather than one by one inside ``POST /jobs``. Run twice (its
    worker died), it queues some articles twice; each still ends as one line (a done article is
    skipped, and a second run rewrites the same line)."""
    with task.app.producer_or_acquire() as producer:
        for index in range(start, stop):
            task.app.send_task(TASK, args=[job_id, index], task_id=f"{job_id}-{index}",
                               producer=producer)


@lru_cache(maxsize=1)
def _worker_parts() -> tuple[Any, JobStore]:
    # One extractor per worker process: its providers, cache and single-flight are shared by
    # the worker's threads.
    from service.extractor import Extractor

    settings = get_settings()
    assert settings.broker_url
    return Extractor(settings), JobStore(settings.broker_url, ttl_s=settings.job_ttl_s)


_parts_lock = threading.Lock()


def _extract_item(task: Any, job_id: str, index: int) -> None:
    with _parts_lock:
        extractor, store = _worker_parts()
    if store.is_done(job_id, index):
        return  # handed out again after it was done: nothing to add
    raw = store.item(job_id, index)
    if raw is None:
        log.warning("job %s has no article %d (expired?)", job_id, index)
        return
    item_id = raw.get("id") or f"item-{index}"
    line = outcome(BatchItem(item_id, ExtractRequest.model_validate(raw)), extractor.extract)
    store.record(job_id, index, line)
