"""One article in, one contract response out: provider, cache and resolution put together."""

from __future__ import annotations

import hashlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from schemas.contract import (SCHEMA_VERSION, Article, ExtractionResponse, ExtractRequest, Meta,
                              Usage)
from schemas.draft import Draft, as_draft
from service.cache import CachedAnswer, ResultCache, cache_key
from service.chunking import drop_overlap_duplicates, merge_drafts, split, unbounded_draft
from service.errors import ArticleTooLarge
from service.leakguard import PromptEchoGuard
from service.prompting import PromptSet, load_prompts
from service.providers import ProviderRegistry
from service.providers.base import Provider
from service.resolver import Resolved, resolve
from service.settings import Settings
from service.singleflight import SingleFlight

log = logging.getLogger("khabar.extract")


def _without_seam_duplicates(resolved: Resolved) -> Resolved:
    quotes, events, positions = drop_overlap_duplicates(resolved.quotes, resolved.events,
                                                        resolved.positions)
    resolved.quotes = [q.model_copy(update={"id": f"Q{n}"}) for n, q in enumerate(quotes, 1)]
    resolved.events = [e.model_copy(update={"id": f"V{n}"}) for n, e in enumerate(events, 1)]
    resolved.positions = [p.model_copy(update={"id": f"P{n}"})
                          for n, p in enumerate(positions, 1)]
    return resolved


class Extractor:
    def __init__(self, settings: Settings, *, cache: ResultCache | None = None,
                 prompts: PromptSet | None = None):
        self.settings = settings
        # The default set (the embedded model's); remote providers read another one.
        self.prompts = prompts or load_prompts(settings.prompts_dir, settings.prompt_name)
        self.cache = cache or ResultCache(settings.cache_dir, enabled=settings.cache_enabled,
                                          url=settings.cache_url, ttl_s=settings.cache_ttl_s,
                                          max_bytes=settings.cache_max_bytes)
        self.flights = SingleFlight()
        self.providers = ProviderRegistry(settings, self.prompt_set)
        self._guards: dict[str, PromptEchoGuard] = {}

    def prompt_set(self, name: str | None) -> PromptSet:
        """The prompt set called ``name`` (None: the default one)."""
        if name is None or name == self.prompts.name:
            return self.prompts
        return load_prompts(self.settings.prompts_dir, name)

    def prompts_for(self, provider: Provider) -> PromptSet:
        return self.prompt_set(provider.identity.prompt_set)

    def _guard(self, prompts: PromptSet) -> PromptEchoGuard:
        guard = self._guards.get(prompts.version)
        if guard is None:
            guard = self._guards[prompts.version] = PromptEchoGuard(
                [prompts.system, *(e.article for e in prompts.examples),
                 *(e.output for e in prompts.examples)])
        return guard

    def key_for(self, request: ExtractRequest) -> str:
        return self._key(request.text, self.providers.get(request.provider))

    def _key(self, text: str, provider: Provider) -> str:
        identity = provider.identity
        return cache_key(text=text, provider=identity.name, model=identity.model,
                         endpoint=identity.endpoint,
                         prompt_version=self.prompts_for(provider).version,
                         schema_version=SCHEMA_VERSION, sampling=identity.sampling)

    def _answer(self, text: str, provider: Provider, use_cache: bool
                ) -> tuple[CachedAnswer, bool]:
        """The validated draft for ``text`` (from the cache when allowed), and whether cached."""
        key = self._key(text, provider)
        if not use_cache:
            return self._call(text, provider, key, use_cache=False), False
        answer = self.cache.get(key, Draft)
        if answer is not None:
            return answer, True
        # One provider call per article at a time: later callers in this process share the
        # first one's outcome; on other processes and hosts sharing the cache they wait on the
        # backend's lock and then read the answer it stored. A waiter that times out (or a
        # cache that lends no lock) calls the provider itself.
        def first_caller() -> tuple[CachedAnswer, bool]:
            with self.cache.lock(key, self.settings.single_flight_timeout_s,
                                 self.settings.single_flight_lease_s):
                stored = self.cache.get(key, Draft)
                if stored is not None:
                    return stored, True
                return self._call(text, provider, key, use_cache=True), False

        (answer, cached), shared = self.flights.do(key, first_caller)
        # A shared answer cost this caller no provider call: to it, the answer is a hit.
        return answer, cached or shared

    def _call(self, text: str, provider: Provider, key: str, *, use_cache: bool
              ) -> CachedAnswer:
        direct = getattr(provider, "draft_for", None)
        if direct is not None:  # providers that read the article, not a prompt (rules)
            completion = direct(text)
        else:
            # A provider may narrow the draft for this text (the embedded model's span choices).
            shape = getattr(provider, "response_model_for", None)
            model = shape(text) if shape is not None else Draft
            completion = provider.complete(self.prompts_for(provider).messages(text), model)
        answer = CachedAnswer(value=as_draft(completion.value), model=completion.model,
                              prompt_tokens=completion.prompt_tokens,
                              completion_tokens=completion.completion_tokens)
        if use_cache:
            self.cache.set(key, answer)
        return answer

    def _chunked_answer(self, text: str, provider: Provider, use_cache: bool
                        ) -> tuple[CachedAnswer, bool, int]:
        """Each chunk's draft (each cached on its own), merged into one."""
        chunks = split(text, self.settings.chunk_chars, self.settings.chunk_overlap_chars)
        workers = 1 if provider.serial else self.settings.chunk_concurrency
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda c: self._answer(text[c.start:c.end], provider,
                                                         use_cache), chunks))
        drafts = [a.value for a, _ in parts]
        assert all(isinstance(d, Draft) for d in drafts)
        merged = CachedAnswer(value=merge_drafts(drafts),  # type: ignore[arg-type]
                              model=parts[0][0].model,
                              prompt_tokens=sum(a.prompt_tokens for a, _ in parts),
                              completion_tokens=sum(a.completion_tokens for a, _ in parts))
        return merged, all(cached for _, cached in parts), len(chunks)

    def extract(self, request: ExtractRequest) -> ExtractionResponse:
        started = time.perf_counter()
        if len(request.text) > self.settings.max_chars:
            raise ArticleTooLarge(
                f"the article has {len(request.text):,} characters; the limit is "
                f"{self.settings.max_chars:,} (KHABAR_MAX_CHARS)")
        provider = self.providers.get(request.provider)
        use_cache = request.options.use_cache
        chunks = 1
        # Chunks exist for models' context windows; the rules read any length in one pass,
        # and whole, they link a surname to the full name however far apart.
        if len(request.text) > self.settings.chunk_chars and \
                not getattr(provider, "whole_article", False):
            answer, cached, chunks = self._chunked_answer(request.text, provider, use_cache)
        else:
            answer, cached = self._answer(request.text, provider, use_cache)
        assert isinstance(answer.value, Draft)
        prompts = self.prompts_for(provider)
        screened, withheld = self._guard(prompts).screen(answer.value.model_dump(), request.text)
        draft = (unbounded_draft(screened) if chunks > 1 else
                 Draft.model_validate(screened)) if withheld else answer.value
        resolved = resolve(draft, request.text, published=request.published,
                           strict_grounding=request.options.strict_grounding,
                           fuzzy_threshold=self.settings.fuzzy_threshold)
        if chunks > 1:
            resolved = _without_seam_duplicates(resolved)
            resolved.warnings.insert(0, f"extracted in {chunks} chunks of at most "
                                     f"{self.settings.chunk_chars:,} characters")
        article_id = request.id or hashlib.sha256(request.text.encode("utf-8")).hexdigest()
        response = ExtractionResponse(
            article=Article(id=article_id, title=request.title, published=request.published,
                            source=request.source, language="ar"),
            entities=resolved.entities, events=resolved.events, quotes=resolved.quotes,
            positions=resolved.positions,
            meta=Meta(provider=provider.identity.name, model=answer.model,
                      prompt_version=prompts.version, cached=cached,
                      latency_ms=round((time.perf_counter() - started) * 1000),
                      usage=Usage(prompt_tokens=answer.prompt_tokens,
                                  completion_tokens=answer.completion_tokens),
                      warnings=withheld + resolved.warnings))
        # Hits are the bulk of the traffic and the access log already has one line each.
        log.log(logging.DEBUG if cached else logging.INFO,
                "extracted article=%s provider=%s cached=%s latency_ms=%d", article_id[:12],
                provider.identity.name, cached, response.meta.latency_ms)
        return response
