"""Retrying transient provider failures: timeouts, dropped connections, 429 and 5xx.

Backoff is exponential with jitter and bounded; a ``Retry-After`` header from the provider is
honoured because a rate limiter knows better than our guess. Everything runs
inside one deadline per request: an attempt gets only the time that is left, and no retry
starts that could not finish in time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import importlib
from functools import cache

from tenacity import (RetryCallState, Retrying, retry_if_exception, stop_after_attempt,
                      stop_before_delay)
from tenacity.wait import wait_base, wait_exponential_jitter

if TYPE_CHECKING:
    from service.settings import Settings

T = TypeVar("T")


# The provider SDKs we speak (both generated from one template) name their errors alike.
_SDKS = ("openai", "anthropic")


@cache
def sdk_errors(name: str) -> tuple[type[BaseException], ...]:
    """The exception class called ``name`` (``RateLimitError`` …) of every installed SDK."""
    found = []
    for sdk in _SDKS:
        try:
            found.append(getattr(importlib.import_module(sdk), name))
        except (ImportError, AttributeError):  # anthropic is an optional extra
            continue
    return tuple(found)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, sdk_errors("APITimeoutError") + sdk_errors("APIConnectionError")
                  + sdk_errors("RateLimitError") + sdk_errors("InternalServerError")):
        return True
    if isinstance(exc, sdk_errors("APIStatusError")):
        status = getattr(exc, "status_code", 0)
        # 529: Anthropic's "overloaded".
        return status in (408, 409, 429) or status >= 500
    return False


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
        # The provider's own hint wins over our cap; the request deadline still bounds it
        # (a retry that would start after the deadline is not made).
        return max(hinted, backoff)


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which a request must be answered."""

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def passed(self) -> bool:
        return self.remaining() <= 0


class DeadlineExceeded(Exception):
    """The request's deadline passed before the provider answered."""


def with_transient_retries(fn: Callable[..., T], *, attempts: int, initial: float,
                           maximum: float, deadline: Deadline | None = None
                           ) -> Callable[..., T]:
    """``fn`` retried on transient provider failures; the last failure is re-raised.

    With a ``deadline``, each attempt is passed ``timeout=`` the time left, and retrying stops
    before a back-off would cross it.
    """

    def call(*args: Any, **kwargs: Any) -> T:
        stop = stop_after_attempt(max(1, attempts))
        if deadline is not None:
            stop = stop | stop_before_delay(max(0.0, deadline.remaining()))
        retrying = Retrying(stop=stop, wait=_WaitHonouringRetryAfter(initial, maximum),
                            retry=retry_if_exception(is_transient), reraise=True)

        def attempt(*a: Any, **kw: Any) -> T:
            if deadline is not None:
                left = deadline.remaining()
                if left <= 0:
                    raise DeadlineExceeded()
                kw["timeout"] = left
            return fn(*a, **kw)

        return retrying(attempt, *args, **kwargs)

    return call


def for_one_request(fn: Callable[..., T], settings: Settings) -> Callable[..., T]:
    """``fn`` retried as the settings say, every attempt inside one request deadline."""
    return with_transient_retries(fn, attempts=settings.provider_retries,
                                  initial=settings.retry_backoff_s,
                                  maximum=settings.retry_backoff_max_s,
                                  deadline=Deadline.after(settings.request_timeout_s))
