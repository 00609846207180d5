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

from celery import Celery

from schemas.contract import ExtractRequest
from service.batch import BatchItem, outcome
from service.jobs.store import JobStore
from service.settings import Settings, get_settings

log = logging.getLogger("khabar.jobs")
TASK = "khabar.extract_item"


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise ValueError("jobs need a broker: set KHABAR_BROKER_URL=redis://host:port/db")
    app = Celery("khabar", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        # A worker killed mid-article gives its task back rather than acknowledging it.
        task_reject_on_worker_lost=True,
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
    app.task(name=TASK, bind=True, ignore_result=True)(_extract_item)
    return app


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
