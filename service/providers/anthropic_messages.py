"""Anthropic's Messages API (``anthropic:MODEL``), through instructor's tool-use mode.

An optional extra: ``pip install "khabar[anthropic]"``. The key comes from
``ANTHROPIC_API_KEY``; ``KHABAR_ANTHROPIC_BASE_URL`` points at a proxy or gateway.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from service.errors import UnknownProvider
from service.providers.base import Completion, ProviderIdentity, structured_call
from service.providers.retry import for_one_request
from service.settings import Settings


class AnthropicProvider:
    serial = False

    def __init__(self, settings: Settings, model: str):
        try:
            import anthropic
            from instructor import Mode
            from instructor.v2.core.patch import patch_v2
            from instructor.v2.core.providers import Provider as InstructorProvider
        except ImportError as exc:
            raise UnknownProvider("provider 'anthropic:MODEL' needs the anthropic extra: "
                                  'pip install "khabar[anthropic]"') from exc
        self._settings = settings
        self._patch = lambda create: patch_v2(func=create, provider=InstructorProvider.ANTHROPIC,
                                              mode=Mode.TOOLS, default_model=model)
        key = settings.anthropic_api_key.get_secret_value() \
            if settings.anthropic_api_key else None
        # A gateway in front of the API may take no key; the client insists on one being set.
        self._client = anthropic.Anthropic(base_url=settings.anthropic_base_url,
                                           api_key=key or "unused",
                                           timeout=settings.request_timeout_s, max_retries=0)
        # The Messages API of this SDK takes no sampling parameters (no temperature, top_p or
        # seed): the answer's length bound is all there is to set, and all the cache key holds.
        self._sampling: dict[str, Any] = {"max_tokens": settings.remote_max_tokens}
        self.identity = ProviderIdentity(name=f"anthropic:{model}", model=model,
                                         sampling=dict(self._sampling),
                                         endpoint=settings.anthropic_base_url,
                                         prompt_set=settings.remote_prompt_name)

    def ready(self) -> tuple[bool, str]:
        # A probe on every health check would spend the user's quota.
        return True, f"configured for {self._settings.anthropic_base_url}"

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        create = for_one_request(self._client.messages.create, self._settings)
        return structured_call(self._patch(create), self.identity, messages, response_model,
                               max_retries=self._settings.max_retries,
                               model=self.identity.model, **self._sampling)
