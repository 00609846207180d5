"""The embedded model serves one request at a time; callers past the bounded queue are told
to come back (503 with Retry-After) at once instead of hanging."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import pytest

from service.api import create_app
from service.settings import Settings
from tests.servers import serve

pytestmark = pytest.mark.model

SHORT = ("استقبل الرئيس الكازاخستاني قاسم جومارت توكاييف في أستانا وزير الخارجية الصيني وانغ يي، "
         "وبحث الجانبان التحضير لقمة منظمة شنغهاي للتعاون.")


def test_requests_past_the_queue_bound_get_503_with_retry_after(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={
        "provider": "local", "local_queue_size": 1, "request_timeout_s": 600.0}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=600) as client:
        def post(delay: float) -> tuple[httpx.Response, float]:
            time.sleep(delay)
            started = time.monotonic()
            response = client.post("/extract", json={"text": SHORT,
                                                     "options": {"use_cache": False}})
            return response, time.monotonic() - started

        # One runs, one waits in the queue, the third finds the queue full.
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            results = list(pool.map(post, (0.0, 0.5, 1.0)))

    statuses = sorted(r.status_code for r, _ in results)
    assert statuses == [200, 200, 503], [r.text for r, _ in results]
    refused, waited = next((r, s) for r, s in results if r.status_code == 503)
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["error"]["code"] == "provider_busy"
    assert waited < 2.0  # refused straight away, not after the queue drained
