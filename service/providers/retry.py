"""Retrying transient provider failures: timeouts, dropped connections, 429 and 5xx.

Backoff is exponential with jitter and bounded; a ``Retry-After`` header from the provider is
honoured (up to the cap) because a rate limiter knows better than our guess.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential_jitter

T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError,
                        openai.RateLimitError, openai.InternalServerError)):
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code in (408, 409, 429) \
        or isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def retry_after_seconds(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None  # an HTTP-date; rare from model APIs, and the backoff still applies


class _WaitHonouringRetryAfter(wait_base):
    def __init__(self, initial: float, maximum: float):
        self._backoff = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
        self._maximum = maximum

    def __call__(self, retry_state: RetryCallState) -> float:
        backoff = self._backoff(retry_state)
        outcome = retry_state.outcome
        hinted = retry_after_seconds(outcome.exception() if outcome else None)
        if hinted is None:
            return backoff
        return min(max(hinted, backoff), self._maximum)


def with_transient_retries(fn: Callable[..., T], *, attempts: int, initial: float,
                           maximum: float) -> Callable[..., T]:
    """``fn`` retried on transient provider failures; the last failure is re-raised."""

    def call(*args: Any, **kwargs: Any) -> T:
        retrying = Retrying(stop=stop_after_attempt(max(1, attempts)),
                            wait=_WaitHonouringRetryAfter(initial, maximum),
                            retry=retry_if_exception(is_transient), reraise=True)
        return retrying(fn, *args, **kwargs)

    return call
