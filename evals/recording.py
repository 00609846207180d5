"""Record a provider's answers once, replay them later without the provider (or its keys).

A recording stores the validated answer for each prompt, with the prompt and schema versions it
was made under. Replaying under other versions fails loudly: scoring stale answers against a
changed prompt would report numbers that mean nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas.contract import SCHEMA_VERSION
from schemas.draft import Draft
from service.errors import KhabarError
from service.providers import Completion, Provider, ProviderIdentity


class RecordingMismatch(KhabarError):
    status = 409
    code = "recording_mismatch"


def article_key(text: str) -> str:
    return hashlib.sha256(("article\0" + text).encode("utf-8")).hexdigest()


def prompt_key(messages: list[dict[str, str]]) -> str:
    blob = json.dumps(messages, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Recorder:
    """Wraps a provider and keeps every answer it gives."""

    def __init__(self, inner: Provider, prompt_version: str):
        self._inner = inner
        self.identity = inner.identity
        self.serial = inner.serial
        self._prompt_version = prompt_version
        self.answers: dict[str, dict[str, Any]] = {}
        # Providers that read the article itself (rules, rules+model) are recorded by article.
        self.reads = "article" if hasattr(inner, "draft_for") else "prompt"
        if self.reads == "article":
            self.draft_for = self._draft_for
            self.whole_article = getattr(inner, "whole_article", False)

    def ready(self) -> tuple[bool, str]:
        return self._inner.ready()

    def _keep(self, key: str, done: Completion) -> Completion:
        self.answers[key] = {
            "value": done.value.model_dump(mode="json"), "model": done.model,
            "prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens}
        return done

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        return self._keep(prompt_key(messages), self._inner.complete(messages, response_model))

    def _draft_for(self, text: str) -> Completion:
        return self._keep(article_key(text), self._inner.draft_for(text))  # type: ignore[attr-defined]

    def save(self, path: Path) -> None:
        body = {"prompt_version": self._prompt_version, "schema_version": SCHEMA_VERSION,
                "provider": self.identity.name, "model": self.identity.model,
                "prompt_set": self.identity.prompt_set, "reads": self.reads,
                "answers": self.answers}
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(path)


class Replayer:
    """Serves recorded answers in place of a provider."""

    def __init__(self, path: Path, version_of: Callable[[str | None], str]):
        """``version_of`` gives this checkout's version of a prompt set (None: the default)."""
        body = json.loads(path.read_text(encoding="utf-8"))
        prompt_version = version_of(body.get("prompt_set"))
        recorded = (body.get("prompt_version"), body.get("schema_version"))
        if recorded != (prompt_version, SCHEMA_VERSION):
            raise RecordingMismatch(
                f"{path} was recorded with prompt {recorded[0]} and schema {recorded[1]}; "
                f"this checkout has prompt {prompt_version} and schema {SCHEMA_VERSION}. "
                "Record the suite again (--record) rather than scoring stale answers.")
        self._answers: dict[str, dict[str, Any]] = body["answers"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.identity = ProviderIdentity(name=body["provider"], model=body["model"],
                                         endpoint=f"replay:{digest}",
                                         prompt_set=body.get("prompt_set"))
        self.serial = False
        if body.get("reads") == "article":
            self.draft_for = self._draft_for
            self.whole_article = True

    def ready(self) -> tuple[bool, str]:
        return True, "replaying a recording"

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        return self._answer(prompt_key(messages), response_model)

    def _draft_for(self, text: str) -> Completion:
        return self._answer(article_key(text), Draft)

    def _answer(self, key: str, response_model: type[BaseModel]) -> Completion:
        answer = self._answers.get(key)
        if answer is None:
            raise RecordingMismatch("the recording has no answer for this article and prompt")
        return Completion(value=response_model.model_validate(answer["value"]),
                          model=answer["model"], prompt_tokens=answer["prompt_tokens"],
                          completion_tokens=answer["completion_tokens"])
