"""Provider registry: one instance per provider spec per process.

Specs: ``local`` (the bundled GGUF), ``local:/path/model.gguf`` (any GGUF), ``openai:MODEL``
(any OpenAI-compatible endpoint at ``KHABAR_OPENAI_BASE_URL``).
"""

from __future__ import annotations

import threading

from service.errors import UnknownProvider
from service.prompting import PromptSet
from service.providers.base import Completion, Provider, ProviderIdentity
from service.settings import Settings

__all__ = ["Completion", "Provider", "ProviderIdentity", "ProviderRegistry"]


class ProviderRegistry:
    def __init__(self, settings: Settings, prompts: PromptSet):
        self._settings = settings
        self._prompts = prompts
        self._providers: dict[str, Provider] = {}
        self._lock = threading.Lock()

    def get(self, spec: str | None = None) -> Provider:
        spec = (spec or self._settings.provider).strip()
        with self._lock:
            if spec not in self._providers:
                self._providers[spec] = self._build(spec)
            return self._providers[spec]

    def register(self, spec: str, provider: Provider) -> None:
        """Serve ``spec`` with ``provider`` (recordings, replays, wrappers)."""
        with self._lock:
            self._providers[spec.strip()] = provider

    def _build(self, spec: str) -> Provider:
        kind, _, arg = spec.partition(":")
        if kind == "local":
            from service.providers.local import LocalProvider

            return LocalProvider(self._settings, self._prompts, arg or None)
        if kind == "openai":
            if not arg:
                raise UnknownProvider("provider 'openai' needs a model name: 'openai:MODEL'")
            from service.providers.openai_compat import OpenAICompatProvider

            return OpenAICompatProvider(self._settings, arg)
        raise UnknownProvider(f"unknown provider {spec!r}: use 'local', "
                              "'local:/path/model.gguf' or 'openai:MODEL'")
