"""The on-disk result cache (diskcache), keyed by everything that can change an answer.

Only validated model answers are stored, and an entry that no longer validates when read is
treated as a miss and removed, so a corrupted or stale entry can never reach a caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


class ResultCache:
    def __init__(self, directory: Path, *, enabled: bool = True):
        self.directory = directory
        self.error: str | None = None
        self._cache: diskcache.Cache | None = None
        if enabled:
            try:
                self._cache = diskcache.Cache(str(directory))
            except Exception as exc:  # an unusable cache must not take the service down
                self.error = f"cache unavailable at {directory}: {exc}"
                log.warning(self.error)

    @property
    def status(self) -> str:
        """"ok", "disabled", or what is wrong (the service answers without the cache then)."""
        if self._cache is not None and self.error is None:
            return "ok"
        return self.error or "disabled"

    def get(self, key: str, model_type: type[BaseModel]) -> CachedAnswer | None:
        if self._cache is None:
            return None
        try:
            raw = self._cache.get(key)
        except Exception as exc:
            self._degrade(f"cache read failed: {exc}")
            return None
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
                self._cache.delete(key)
            except Exception as delete_exc:
                self._degrade(f"cache delete failed: {delete_exc}")
            return None

    def set(self, key: str, answer: CachedAnswer) -> None:
        if self._cache is None:
            return
        # Re-validate before storing: the cache only ever holds answers that pass the schema.
        type(answer.value).model_validate(answer.value.model_dump())
        entry = {"value": answer.value.model_dump(mode="json"), "model": answer.model,
                 "prompt_tokens": answer.prompt_tokens,
                 "completion_tokens": answer.completion_tokens}
        try:
            self._cache.set(key, json.dumps(entry, ensure_ascii=False))
        except Exception as exc:  # a full or read-only disk costs the cache, not the answer
            self._degrade(f"cache write failed: {exc}")
            return
        if self.error is not None and self.error.startswith("cache write failed"):
            log.info("cache writes work again")
            self.error = None

    def _degrade(self, message: str) -> None:
        if self.error != message:
            log.warning("%s; answering without it", message)
        self.error = message

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
