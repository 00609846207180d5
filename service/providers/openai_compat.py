"""Any OpenAI-compatible endpoint: OpenAI, vLLM, Ollama, llama.cpp's server."""

from __future__ import annotations

import instructor
import openai
from pydantic import BaseModel

from service.providers.base import Completion, ProviderIdentity, structured_call
from service.providers.retry import for_one_request
from service.settings import Settings

_MODES = {"json_schema": instructor.Mode.JSON_SCHEMA, "json": instructor.Mode.JSON}


class OpenAICompatProvider:
    serial = False
    def __init__(self, settings: Settings, model: str):
        self._settings = settings
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        # Local servers take any key; the client insists on one being set.
        self._client = openai.OpenAI(base_url=settings.openai_base_url, api_key=key or "unused",
                                     timeout=settings.request_timeout_s, max_retries=0)
        self.identity = ProviderIdentity(name=f"openai:{model}", model=model,
                                         sampling=settings.sampling(remote=True),
                                         endpoint=f"{settings.openai_base_url}#{settings.openai_mode}",
                                         prompt_set=settings.remote_prompt_name)

    def ready(self) -> tuple[bool, str]:
        # Probing the endpoint on every health check would spend the user's quota.
        return True, f"configured for {self._settings.openai_base_url}"

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        # One deadline covers every HTTP attempt, back-off and re-ask of this request.
        create = for_one_request(self._client.chat.completions.create, self._settings)
        patched = instructor.patch(create=create, mode=_MODES[self._settings.openai_mode])
        return structured_call(patched, self.identity, messages, response_model,
                               max_retries=self._settings.max_retries, model=self.identity.model,
                               **self._settings.sampling(remote=True))
