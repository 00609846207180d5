"""One settings object, read once from the environment (prefix ``KHABAR_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KHABAR_", extra="ignore")

    # Who answers: "rules" (the Arabic language layer, no model), "local",
    # "local:/path/model.gguf", "openai:MODEL", or a model composed with the rules:
    # "rules+local", "rules+openai:MODEL" (see service/providers/composed.py).
    provider: str = "rules"
    # Providers a caller may name per request (comma-separated fnmatch patterns). The deployment's
    # own provider is always allowed. "local:*" is left out by default: it would let any caller
    # make the server open a file path of their choosing and load it into memory.
    request_providers: str = ("rules,local,openai:*,anthropic:*,rules+local,rules+openai:*,"
                              "rules+anthropic:*")
    # Distinct per-request providers kept built at once (least recently used ones are dropped).
    provider_pool_size: int = 16
    openai_base_url: str = "https://api.openai.com/v1"
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "KHABAR_OPENAI_API_KEY"))
    # How structured output is requested from an OpenAI-compatible server: "json_schema"
    # (response_format with the schema: OpenAI, vLLM, Ollama, llama.cpp) or "json"
    # (json_object plus the schema in the system message, for servers without schemas).
    openai_mode: Literal["json_schema", "json"] = "json_schema"
    # Anthropic's Messages API ("anthropic:MODEL"; pip install "khabar[anthropic]").
    anthropic_base_url: str = "https://api.anthropic.com"
    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("ANTHROPIC_API_KEY", "KHABAR_ANTHROPIC_API_KEY"))

    # Sampling: part of every cache key.
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 1536
    # A capable model's whole answer on a long report runs to thousands of tokens (dozens of
    # records with verbatim evidence); a bound fit for the embedded model would cut it off.
    remote_max_tokens: int = Field(default=16_384, ge=256)
    seed: int = 0

    # Re-asks after output that fails validation, and retries of transient provider failures.
    max_retries: int = 1
    provider_retries: int = 3
    retry_backoff_s: float = 0.5
    retry_backoff_max_s: float = 8.0
    # The whole request's deadline with a provider: every attempt and back-off fits inside it.
    request_timeout_s: float = 300.0

    # The embedded model.
    local_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    local_context: int = 8192
    local_batch: int = 512
    # "transcript" writes the chat out as plain text for base models without a chat template;
    # "chat" uses the GGUF's own chat template; "auto" picks chat only for instruction-tuned GGUFs.
    local_prompt_style: Literal["auto", "chat", "transcript"] = "auto"
    local_grammar: bool = True
    # Small models loop ("وزارة الخارجية الروسية" thirty times); a mild penalty breaks the loop.
    local_repeat_penalty: float = 1.1
    # Let the embedded model write quotes and evidence only as stretches of the article
    # (service/candidates.py): it then chooses text instead of failing to copy it.
    local_span_choices: bool = True
    local_queue_size: int = 8

    # Bearer tokens accepted by the API (comma-separated); empty means no authentication.
    api_tokens: SecretStr = SecretStr("")

    cache_dir: Path = Path.home() / ".cache" / "khabar"
    cache_enabled: bool = True
    # Where answers are kept: unset (cache_dir, diskcache), "file:///path", or
    # "redis://host:port/db" to share them between every replica on that Redis.
    cache_url: str | None = None
    # Entries expire after this many seconds (unset: kept until evicted for size).
    cache_ttl_s: float | None = Field(default=None, gt=0)
    # diskcache evicts beyond this size; on Redis, writes stop while the server uses more.
    cache_max_bytes: int = Field(default=4 * 2**30, ge=1)
    # Concurrent misses for one article wait at most this long for the first caller's answer.
    single_flight_timeout_s: float = Field(default=300.0, gt=0)
    # The first caller holds the article's lock as a lease it renews while it works: one that
    # died (killed, host lost) frees it within this time, and a waiter goes ahead.
    single_flight_lease_s: float = Field(default=6.0, gt=0)

    # Jobs (POST /jobs) run on Celery workers (khabar worker) with this broker, which also
    # holds the jobs' state and result lines: "redis://host:port/db". Unset: no jobs endpoint.
    broker_url: str | None = None
    # A task a worker took and never acknowledged (the worker died) is handed out again after
    # this long; set it above the longest article's extraction time.
    job_visibility_timeout_s: float = Field(default=3600.0, gt=0)
    # Articles one job may hold, and the size of its body (many articles in one request).
    max_job_items: int = Field(default=100_000, ge=1)
    # A job's state and lines stay in Redis this long (from submission, and from its first line).
    job_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    # Jobs of more articles than this are queued by workers, this many tasks per fan-out task.
    job_fanout: int = Field(default=500, ge=1)
    max_job_bytes: int = Field(default=512 * 2**20, ge=1)
    # Articles one worker extracts at once (threads: provider calls are mostly waiting).
    worker_concurrency: int = Field(default=4, ge=1)
    max_chars: int = 50_000
    # Longer articles are extracted in overlapping chunks (about 4,500 tokens of Arabic: room
    # in the embedded model's 8,192-token context for the prompt and the answer).
    chunk_chars: int = Field(default=12_000, ge=1_000)
    chunk_overlap_chars: int = Field(default=600, ge=0)
    chunk_concurrency: int = Field(default=4, ge=1)
    fuzzy_threshold: float = 85.0
    prompts_dir: Path = PROJECT_ROOT / "prompts"
    # The embedded model's prompt set (short, with few-shot examples it can imitate) and the
    # one capable remote models get (the labelling guide itself: prompts/guided/).
    prompt_name: str = "extract"
    remote_prompt_name: str = "guided"

    # Prices per million input / output tokens of the provider in use, for cost reports
    # (``khabar evals run``); any currency.
    price_input_per_m: float | None = Field(default=None, ge=0)
    price_output_per_m: float | None = Field(default=None, ge=0)

    def tokens(self) -> list[bytes]:
        raw = self.api_tokens.get_secret_value()
        return [t.strip().encode("utf-8") for t in raw.split(",") if t.strip()]

    def provider_patterns(self) -> list[str]:
        return [p.strip() for p in self.request_providers.split(",") if p.strip()]

    def sampling(self, remote: bool = False) -> dict[str, float | int]:
        return {"temperature": self.temperature, "top_p": self.top_p,
                "max_tokens": self.remote_max_tokens if remote else self.max_tokens,
                "seed": self.seed}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
