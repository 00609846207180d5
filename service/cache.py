"""The result cache, keyed by everything that can change an answer, on disk or on Redis.

Only validated model answers are stored, and an entry that no longer validates when read is
treated as a miss and removed, so a corrupted or stale entry can never reach a caller. The
backend is chosen by ``KHABAR_CACHE_URL``: unset or ``file:///path`` keeps diskcache on this
host; ``redis://host:port/db`` shares answers between every replica on that Redis. Either way
the cache is an optimisation: when it is down or full, the service answers without it and
``/healthz`` says so.

Each backend also lends a lock per key, so that concurrent misses for one article on several
processes or hosts make one provider call (see ``service.singleflight``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import diskcache
from pydantic import BaseModel, ValidationError

log = logging.getLogger("khabar.cache")


def cache_key(*, text: str, provider: str, model: str, endpoint: str | None,
              prompt_version: str, schema_version: str, sampling: dict[str, Any]) -> str:
    """A digest of the article and every setting that shapes the model's answer."""
    material = {"text": text, "provider": provider, "model": model, "endpoint": endpoint,
                "prompt_version": prompt_version, "schema_version": schema_version,
                "sampling": sampling}
    blob = json.dumps(material, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class CachedAnswer:
    value: BaseModel
    model: str
    prompt_tokens: int
    completion_tokens: int


class Store(Protocol):
    """Where entries live: strings by key, with an expiry, and a lock per key."""

    where: str

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def acquire(self, name: str, token: str, expire_s: float) -> bool: ...

    def release(self, name: str, token: str) -> None: ...

    def extend(self, name: str, token: str, expire_s: float) -> None: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class DiskStore:
    def __init__(self, directory: Path, *, ttl_s: float | None, max_bytes: int):
        self.where = str(directory)
        self._ttl = ttl_s
        # diskcache evicts least-recently-stored entries beyond the size limit on its own.
        self._cache = diskcache.Cache(str(directory), size_limit=max_bytes)

    def get(self, key: str) -> str | None:
        value = self._cache.get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        self._cache.set(key, value, expire=self._ttl)

    def delete(self, key: str) -> None:
        self._cache.delete(key)

    def acquire(self, name: str, token: str, expire_s: float) -> bool:
        # add() is atomic across processes sharing the directory; the expiry frees the lock
        # of a holder that died.
        return bool(self._cache.add(f"lock:{name}", token, expire=expire_s))

    def release(self, name: str, token: str) -> None:
        with self._cache.transact():
            if self._cache.get(f"lock:{name}") == token:
                self._cache.delete(f"lock:{name}")

    def extend(self, name: str, token: str, expire_s: float) -> None:
        with self._cache.transact():
            if self._cache.get(f"lock:{name}") == token:
                self._cache.touch(f"lock:{name}", expire=expire_s)

    def ping(self) -> None:
        self._cache.get("ping")

    def close(self) -> None:
        self._cache.close()


_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""
_EXTEND = """if redis.call('get', KEYS[1]) == ARGV[1] then
return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0"""


class RedisStore:
    PREFIX = "khabar:answer:"

    def __init__(self, url: str, *, ttl_s: float | None, max_bytes: int):
        import redis

        self.where = _without_password(url)
        # Milliseconds: a TTL under a second must not round to Redis's invalid 0.
        self._ttl_ms = max(1, math.ceil(ttl_s * 1000)) if ttl_s else None
        self._max_bytes = max_bytes
        self._memory_checked = 0.0
        self._memory_full = False
        # Short timeouts: a Redis that does not answer must cost a request milliseconds, not
        # the provider call it was meant to save.
        self._redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2.0,
                                           health_check_interval=10)
        self._release = self._redis.register_script(_RELEASE)
        self._extend = self._redis.register_script(_EXTEND)

    def get(self, key: str) -> str | None:
        value = self._redis.get(self.PREFIX + key)
        return value.decode("utf-8") if value is not None else None

    def set(self, key: str, value: str) -> None:
        if self._full():
            raise MemoryError(f"Redis holds more than KHABAR_CACHE_MAX_BYTES "
                              f"({self._max_bytes:,} bytes)")
        self._redis.set(self.PREFIX + key, value.encode("utf-8"), px=self._ttl_ms)

    def _full(self) -> bool:
        # INFO is cheap but not free: read it at most once a second.
        now = time.monotonic()
        if now - self._memory_checked > 1.0:
            used = int(self._redis.info("memory").get("used_memory", 0))
            self._memory_full = used > self._max_bytes
            self._memory_checked = now
        return self._memory_full

    def delete(self, key: str) -> None:
        self._redis.delete(self.PREFIX + key)

    def acquire(self, name: str, token: str, expire_s: float) -> bool:
        return bool(self._redis.set(f"khabar:lock:{name}", token, nx=True,
                                    px=max(1, int(expire_s * 1000))))

    def release(self, name: str, token: str) -> None:
        self._release(keys=[f"khabar:lock:{name}"], args=[token])

    def extend(self, name: str, token: str, expire_s: float) -> None:
        self._extend(keys=[f"khabar:lock:{name}"], args=[token, max(1, int(expire_s * 1000))])

    def ping(self) -> None:
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()


def _unreachable(exc: BaseException | None) -> bool:
    try:
        import redis
    except ImportError:
        return False
    return isinstance(exc, (redis.ConnectionError, redis.TimeoutError, ConnectionError,
                            TimeoutError))


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


class ResultCache:
    # After a failure, the backend is left alone this long: a Redis that is down would
    # otherwise cost every request a connection timeout per operation.
    RETRY_AFTER_S = 3.0

    def __init__(self, directory: Path | None = None, *, enabled: bool = True,
                 url: str | None = None, ttl_s: float | None = None,
                 max_bytes: int = 4 * 2**30):
        where = url or (f"file://{directory}" if directory is not None else None)
        self.directory = directory
        self.error: str | None = None
        self._store: Store | None = None
        self._resting_until = 0.0
        if not enabled or where is None:
            return
        try:
            parsed = urlparse(where)
            if parsed.scheme in ("redis", "rediss", "unix"):
                self._store = RedisStore(where, ttl_s=ttl_s, max_bytes=max_bytes)
            elif parsed.scheme in ("file", ""):
                path = Path(parsed.path if parsed.scheme else where)
                self.directory = path
                self._store = DiskStore(path, ttl_s=ttl_s, max_bytes=max_bytes)
            else:
                raise ValueError(f"unknown scheme {parsed.scheme!r} (use file:// or redis://)")
        except Exception as exc:  # an unusable cache must not take the service down
            self.error = f"cache unavailable at {_without_password(where)}: {exc}"
            log.warning(self.error)

    @property
    def status(self) -> str:
        """"ok", "disabled", or what is wrong (the service answers without the cache then)."""
        if self._store is None:
            return self.error or "disabled"
        if isinstance(self._store, RedisStore):
            # Health checks must see Redis come and go even when no request touches it.
            try:
                self._store.ping()
                # Reachable again; a full Redis stays reported until a write succeeds.
                self._recovered("cache unreachable", "cache read failed", "cache lock failed")
            except Exception as exc:
                self._degrade(f"cache unreachable at {self._store.where}: {exc}", exc)
            else:
                self._resting_until = 0.0
        return self.error or "ok"

    def _usable(self) -> bool:
        return self._store is not None and time.monotonic() >= self._resting_until

    def get(self, key: str, model_type: type[BaseModel]) -> CachedAnswer | None:
        if self._store is None or not self._usable():
            return None
        try:
            raw = self._store.get(key)
        except Exception as exc:
            self._degrade(f"cache read failed: {exc}", exc)
            return None
        self._recovered("cache read failed", "cache unreachable")
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            return CachedAnswer(value=model_type.model_validate(entry["value"]),
                                model=entry["model"], prompt_tokens=entry["prompt_tokens"],
                                completion_tokens=entry["completion_tokens"])
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            log.warning("dropping unreadable cache entry %s: %s", key[:12], exc)
            try:
                self._store.delete(key)
            except Exception as delete_exc:
                self._degrade(f"cache delete failed: {delete_exc}", delete_exc)
            return None

    def set(self, key: str, answer: CachedAnswer) -> None:
        if self._store is None or not self._usable():
            return
        # Re-validate before storing: the cache only ever holds answers that pass the schema.
        type(answer.value).model_validate(answer.value.model_dump())
        entry = {"value": answer.value.model_dump(mode="json"), "model": answer.model,
                 "prompt_tokens": answer.prompt_tokens,
                 "completion_tokens": answer.completion_tokens}
        try:
            self._store.set(key, json.dumps(entry, ensure_ascii=False))
        except Exception as exc:  # a full disk or Redis costs the cache, not the answer
            self._degrade(f"cache write failed: {exc}", exc)
            return
        self._recovered()

    @contextmanager
    def lock(self, key: str, wait_s: float, lease_s: float = 6.0, poll_s: float = 0.02
             ) -> Iterator[bool]:
        """Hold the backend's lock for ``key`` across processes; yields whether it was had.

        Waits at most ``wait_s`` for another holder. The lock is a lease of ``lease_s`` that a
        thread renews while the block runs: a live holder keeps it through a long provider
        call, and a holder that died (killed, host lost) frees it within ``lease_s``. Without a
        usable cache, yields False at once.
        """
        token = uuid.uuid4().hex
        held = False
        store = self._store
        if store is not None and self._usable():
            deadline = time.monotonic() + wait_s
            try:
                while not (held := store.acquire(key, token, lease_s)):
                    if time.monotonic() >= deadline:
                        break
                    time.sleep(poll_s)
            except Exception as exc:
                self._degrade(f"cache lock failed: {exc}", exc)
        done = threading.Event()
        if held and store is not None:
            def renew() -> None:
                while not done.wait(lease_s / 3):
                    try:
                        store.extend(key, token, lease_s)
                    except Exception:  # the lease lapses; a waiter then calls the provider
                        return
            threading.Thread(target=renew, name="khabar-lease", daemon=True).start()
        try:
            yield held
        finally:
            done.set()
            if held and store is not None:
                try:
                    store.release(key, token)
                except Exception as exc:  # the lock expires on its own
                    self._degrade(f"cache unlock failed: {exc}", exc)

    def _degrade(self, message: str, exc: BaseException | None = None) -> None:
        if self.error != message:
            log.warning("%s; answering without it", message)
        self.error = message
        # Only an unreachable Redis is left to rest; a full one still serves reads and locks,
        # and a disk error is not a matter of waiting.
        if isinstance(self._store, RedisStore) and _unreachable(exc):
            self._resting_until = time.monotonic() + self.RETRY_AFTER_S

    def _recovered(self, *kinds: str) -> None:
        if self.error is not None and (not kinds or self.error.startswith(kinds)) \
                and not self.error.startswith("cache unavailable"):
            log.info("the cache works again")
            self.error = None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
