"""One call per key at a time within a process, its outcome shared with whoever waited.

The first caller for a key runs the work; callers that arrive while it runs wait for it and
get its result (or its exception) instead of doing the work again. Across processes the cache
backend's lock plays the same part (``ResultCache.lock``); within one, sharing the outcome
holds even when there is no cache to read it back from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._flights: dict[str, Future] = {}  # type: ignore[type-arg]

    def do(self, key: str, work: Callable[[], T]) -> tuple[T, bool]:
        """``work()``'s result for ``key``, and whether it was shared from another caller."""
        with self._guard:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = Future()
        assert flight is not None
        if not leader:
            return flight.result(), True
        try:
            result = work()
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(result)
            return result, False
        finally:
            with self._guard:
                del self._flights[key]
