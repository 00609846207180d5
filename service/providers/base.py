"""What every provider offers the extractor, and how provider failures become HTTP errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import instructor
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from pydantic import BaseModel

from service.errors import (InvalidModelOutput, KhabarError, ProviderBusy, ProviderTimeout,
                            ProviderUnavailable)
from service.providers.retry import DeadlineExceeded, retry_after_seconds, sdk_errors


@dataclass
class Completion:
    """A validated model answer and what it cost."""

    value: BaseModel
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class ProviderIdentity:
    """Everything about a provider that can change its answer (part of the cache key)."""

    name: str
    model: str
    sampling: dict[str, Any] = field(default_factory=dict)
    endpoint: str | None = None
    # The prompt set (a folder under prompts/) the provider is asked with; None for providers
    # that read the article itself (the rules).
    prompt_set: str | None = None


class Provider(Protocol):
    identity: ProviderIdentity
    # True when the provider serves one call at a time: callers should not put more in
    # flight, as they would only queue (and queueing counts against their deadline).
    serial: bool

    def ready(self) -> tuple[bool, str]: ...

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion: ...


def usage_of(result: BaseModel) -> tuple[int, int]:
    raw = getattr(result, "_raw_response", None)
    usage = getattr(raw, "usage", None)
    if usage is None:
        return 0, 0
    # OpenAI's names, then Anthropic's.
    return int(getattr(usage, "prompt_tokens", 0) or getattr(usage, "input_tokens", 0) or 0), \
        int(getattr(usage, "completion_tokens", 0) or getattr(usage, "output_tokens", 0) or 0)


@lru_cache(maxsize=32)
def _as_response_schema(model: type[BaseModel]) -> type[BaseModel]:
    # instructor wraps a plain model in a new class on every call, and a new class means its
    # JSON schema is built again: together most of a request's CPU. Wrapped once here, it is
    # reused, and ``Draft.model_json_schema`` can answer from its cache.
    return instructor.openai_schema(model)  # type: ignore[no-any-return]


def structured_call(create: Any, identity: ProviderIdentity, messages: list[dict[str, str]],
                    response_model: type[BaseModel], *, max_retries: int,
                    **sampling: Any) -> Completion:
    """Run an instructor-patched ``create``; failures leave as :class:`KhabarError`."""
    try:
        result = create(messages=messages, response_model=_as_response_schema(response_model),
                        max_retries=max_retries, **sampling)
    except Exception as exc:  # every failure leaves as a KhabarError the API can report
        raise as_khabar_error(exc, identity.name) from exc
    prompt_tokens, completion_tokens = usage_of(result)
    return Completion(value=result, model=identity.model, prompt_tokens=prompt_tokens,
                      completion_tokens=completion_tokens)


def _root_cause(exc: BaseException) -> BaseException:
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None or isinstance(exc, sdk_errors("APIError")):
            break
        exc = nxt
    return exc


def as_khabar_error(exc: BaseException, provider: str) -> KhabarError:
    """Translate a provider or instructor failure into what we tell the caller."""
    if isinstance(exc, KhabarError):
        return exc
    if isinstance(exc, IncompleteOutputException):
        return InvalidModelOutput(f"{provider}: the model's answer was cut off at max_tokens "
                                  "before it formed valid JSON")
    cause = _root_cause(exc)
    if isinstance(cause, KhabarError):
        return cause
    if isinstance(cause, DeadlineExceeded):
        return ProviderTimeout(f"{provider}: no valid answer within the request deadline "
                               "(KHABAR_REQUEST_TIMEOUT_S)")
    if isinstance(cause, sdk_errors("APITimeoutError")):
        return ProviderTimeout(f"{provider}: the model provider did not answer in time")
    if isinstance(cause, sdk_errors("APIConnectionError")):
        return ProviderUnavailable(f"{provider}: could not connect to the model provider")
    if isinstance(cause, sdk_errors("APIResponseValidationError")):
        return ProviderUnavailable(f"{provider}: the model provider sent a response that is "
                                   "not valid JSON of its protocol")
    if isinstance(cause, sdk_errors("RateLimitError")):
        return ProviderBusy(f"{provider}: the model provider is rate-limiting requests",
                            retry_after=retry_after_seconds(cause) or 1.0)
    if isinstance(cause, sdk_errors("APIStatusError")):
        return ProviderUnavailable(f"{provider}: the model provider answered HTTP "
                                   f"{getattr(cause, 'status_code', '?')}")
    if isinstance(exc, InstructorRetryException):
        attempts = getattr(exc, "n_attempts", None) or "all"
        return InvalidModelOutput(f"{provider}: the model's answer did not match the schema "
                                  f"after {attempts} attempt(s)")
    if isinstance(cause, IncompleteOutputException):
        return InvalidModelOutput(f"{provider}: the model's answer was cut off at max_tokens "
                                  "before it formed valid JSON")
    return ProviderUnavailable(f"{provider}: the model provider failed "
                               f"({type(cause).__name__})")
