"""One article in, one contract response out: provider, cache and resolution put together."""

from __future__ import annotations

import hashlib
import logging
import time

from schemas.contract import (SCHEMA_VERSION, Article, ExtractionResponse, ExtractRequest, Meta,
                              Usage)
from schemas.draft import Draft
from service.cache import CachedAnswer, ResultCache, cache_key
from service.errors import ArticleTooLarge
from service.leakguard import PromptEchoGuard
from service.prompting import PromptSet, load_prompts
from service.providers import ProviderRegistry
from service.resolver import resolve
from service.settings import Settings

log = logging.getLogger("khabar.extract")


class Extractor:
    def __init__(self, settings: Settings, *, cache: ResultCache | None = None,
                 prompts: PromptSet | None = None):
        self.settings = settings
        self.prompts = prompts or load_prompts(settings.prompts_dir, settings.prompt_name)
        self.cache = cache or ResultCache(settings.cache_dir, enabled=settings.cache_enabled)
        self.providers = ProviderRegistry(settings, self.prompts)
        self.guard = PromptEchoGuard([self.prompts.system,
                                      *(e.article for e in self.prompts.examples),
                                      *(e.output for e in self.prompts.examples)])

    def key_for(self, request: ExtractRequest) -> str:
        identity = self.providers.get(request.provider).identity
        return cache_key(text=request.text, provider=identity.name, model=identity.model,
                         endpoint=identity.endpoint, prompt_version=self.prompts.version,
                         schema_version=SCHEMA_VERSION, sampling=identity.sampling)

    def extract(self, request: ExtractRequest) -> ExtractionResponse:
        started = time.perf_counter()
        if len(request.text) > self.settings.max_chars:
            raise ArticleTooLarge(
                f"the article has {len(request.text):,} characters; the limit is "
                f"{self.settings.max_chars:,} (KHABAR_MAX_CHARS)")
        provider = self.providers.get(request.provider)
        key = self.key_for(request)
        use_cache = request.options.use_cache
        answer = self.cache.get(key, Draft) if use_cache else None
        cached = answer is not None
        if answer is None:
            # A provider may narrow the draft for this article (the embedded model's span choices).
            shape = getattr(provider, "response_model_for", None)
            model = shape(request.text) if shape is not None else Draft
            completion = provider.complete(self.prompts.messages(request.text), model)
            answer = CachedAnswer(value=completion.value, model=completion.model,
                                  prompt_tokens=completion.prompt_tokens,
                                  completion_tokens=completion.completion_tokens)
            if use_cache:
                self.cache.set(key, answer)
        assert isinstance(answer.value, Draft)
        screened, withheld = self.guard.screen(answer.value.model_dump(), request.text)
        draft = Draft.model_validate(screened) if withheld else answer.value
        resolved = resolve(draft, request.text, published=request.published,
                           strict_grounding=request.options.strict_grounding,
                           fuzzy_threshold=self.settings.fuzzy_threshold)
        article_id = request.id or hashlib.sha256(request.text.encode("utf-8")).hexdigest()
        response = ExtractionResponse(
            article=Article(id=article_id, title=request.title, published=request.published,
                            source=request.source, language="ar"),
            entities=resolved.entities, events=resolved.events, quotes=resolved.quotes,
            positions=resolved.positions,
            meta=Meta(provider=provider.identity.name, model=answer.model,
                      prompt_version=self.prompts.version, cached=cached,
                      latency_ms=round((time.perf_counter() - started) * 1000),
                      usage=Usage(prompt_tokens=answer.prompt_tokens,
                                  completion_tokens=answer.completion_tokens),
                      warnings=withheld + resolved.warnings))
        # Hits are the bulk of the traffic and the access log already has one line each.
        log.log(logging.DEBUG if cached else logging.INFO,
                "extracted article=%s provider=%s cached=%s latency_ms=%d", article_id[:12],
                provider.identity.name, cached, response.meta.latency_ms)
        return response
