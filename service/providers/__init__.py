"""Provider registry: one instance per provider spec per process.

Specs: ``rules`` (the Arabic language layer, no model), ``rules+SPEC`` (a model composed with
the rules: candidates in its prompt, drafts merged), ``local`` (the bundled GGUF),
``local:/path/model.gguf`` (any GGUF), ``openai:MODEL`` (any OpenAI-compatible endpoint at
``KHABAR_OPENAI_BASE_URL``), ``anthropic:MODEL`` (Anthropic's Messages API; the ``anthropic``
extra).

The embedded model is asked with the short prompt set it can follow (``KHABAR_PROMPT_NAME``);
remote models with the labelling guide itself (``KHABAR_REMOTE_PROMPT_NAME``).
"""

from __future__ import annotations

import fnmatch
import threading
from collections import OrderedDict
from collections.abc import Callable

from service.errors import ProviderNotAllowed, UnknownProvider
from service.prompting import PromptSet
from service.providers.base import Completion, Provider, ProviderIdentity
from service.settings import Settings

__all__ = ["Completion", "Provider", "ProviderIdentity", "ProviderRegistry"]


class ProviderRegistry:
    def __init__(self, settings: Settings, prompts_for: Callable[[str], PromptSet]):
        self._settings = settings
        self._prompts_for = prompts_for
        self._providers: OrderedDict[str, Provider] = OrderedDict()
        # The deployment's provider and registered ones stay; callers' choices come and go.
        self._pinned: set[str] = {settings.provider.strip()}
        self._lock = threading.Lock()

    def get(self, spec: str | None = None) -> Provider:
        spec = (spec or self._settings.provider).strip()
        with self._lock:
            if spec not in self._providers:
                self._providers[spec] = self._build(spec)
                self._evict()
            self._providers.move_to_end(spec)
            return self._providers[spec]

    def _evict(self) -> None:
        # Without a bound, every distinct "openai:NAME" a caller sends would stay in memory.
        loose = [s for s in self._providers if s not in self._pinned]
        for spec in loose[:max(0, len(loose) - self._settings.provider_pool_size)]:
            del self._providers[spec]

    def allow(self, spec: str) -> None:
        """Refuse a provider a caller names per request unless the deployment allows it."""
        spec = spec.strip()
        if spec == self._settings.provider.strip():
            return
        kind, _, arg = spec.removeprefix("rules+").partition(":")
        if kind not in ("local", "openai", "anthropic", "rules") or \
                (kind in ("openai", "anthropic") and not arg):
            self._build(spec)  # raises the same UnknownProvider message as any other path
        patterns = self._settings.provider_patterns()
        if not any(fnmatch.fnmatchcase(spec, p) for p in patterns):
            raise ProviderNotAllowed(
                f"provider {spec!r} may not be chosen per request here; allowed: "
                f"{', '.join(patterns) or 'none'} (KHABAR_REQUEST_PROVIDERS)")

    def register(self, spec: str, provider: Provider) -> None:
        """Serve ``spec`` with ``provider`` (recordings, replays, wrappers)."""
        with self._lock:
            self._providers[spec.strip()] = provider
            self._pinned.add(spec.strip())

    def _build(self, spec: str) -> Provider:
        if spec.startswith("rules+"):
            from service.providers.composed import ComposedProvider

            inner = spec[len("rules+"):]
            if inner.startswith("rules"):
                raise UnknownProvider(f"unknown provider {spec!r}: 'rules+' composes the rules "
                                      "with a model ('rules+local', 'rules+openai:MODEL')")
            model = self._build(inner)
            return ComposedProvider(self._build("rules"), model,
                                    self._prompts_for(model.identity.prompt_set or
                                                      self._settings.prompt_name).messages)
        if spec == "rules":
            from service.providers.rules import RulesProvider

            return RulesProvider()
        kind, _, arg = spec.partition(":")
        if kind == "local":
            from service.providers.local import LocalProvider

            return LocalProvider(self._settings, self._prompts_for(self._settings.prompt_name),
                                 arg or None)
        if kind == "openai":
            if not arg:
                raise UnknownProvider("provider 'openai' needs a model name: 'openai:MODEL'")
            from service.providers.openai_compat import OpenAICompatProvider

            return OpenAICompatProvider(self._settings, arg)
        if kind == "anthropic":
            if not arg:
                raise UnknownProvider("provider 'anthropic' needs a model name: "
                                      "'anthropic:MODEL'")
            from service.providers.anthropic_messages import AnthropicProvider

            return AnthropicProvider(self._settings, arg)
        raise UnknownProvider(f"unknown provider {spec!r}: use 'rules', 'local', "
                              "'local:/path/model.gguf', 'openai:MODEL' or 'anthropic:MODEL'")
