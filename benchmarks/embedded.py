"""The embedded model: Khabar against llama-cpp-python called directly, and what decoding costs.

Run: python benchmarks/embedded.py [ARTICLES_DIR]
1. Per article: Khabar's ``Extractor`` (no cache) against a direct ``Llama.create_completion``
   with the very prompt, JSON-schema grammar and sampling Khabar used (captured from its call),
   each on its own ``Llama`` instance fed the articles in the same order, so both get the same
   prompt-prefix reuse. Seconds, tokens, tokens/s, model calls, Khabar's overhead.
2. The shared prompt prefix (system text and few-shot examples): evaluating a prompt on a fresh
   context against one whose KV cache already holds the prefix of the previous article's prompt.
3. Grammar: the same prompt decoded for a fixed number of tokens with and without the grammar.
4. Threads: the same with 1 and 2 threads.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import instructor

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schemas.contract import ExtractRequest  # noqa: E402
from service.extractor import Extractor  # noqa: E402
from service.prompting import load_prompts  # noqa: E402
from service.providers.local import LocalProvider, bundled_model_path  # noqa: E402
from service.settings import Settings  # noqa: E402


def _llama(settings: Settings, threads: int | None = None) -> Any:
    from llama_cpp import Llama

    return Llama(model_path=str(bundled_model_path()), n_ctx=settings.local_context,
                 n_threads=threads or settings.local_threads, n_batch=settings.local_batch,
                 seed=settings.seed, verbose=False)


def _capture(provider: LocalProvider) -> list[dict[str, Any]]:
    """Record every call Khabar makes to the model (its arguments and how long it took)."""
    calls: list[dict[str, Any]] = []
    original = provider._chat_completion

    def recording(messages: list[dict[str, str]], **kwargs: Any) -> Any:
        started = time.perf_counter()
        out = original(messages, **kwargs)
        calls.append({"messages": messages, "kwargs": kwargs,
                      "seconds": time.perf_counter() - started,
                      "completion_tokens": out.usage.completion_tokens if out.usage else 0})
        return out

    provider._chat_completion = recording  # type: ignore[method-assign]
    provider._create = instructor.patch(create=recording, mode=instructor.Mode.JSON_SCHEMA)
    return calls


def _direct(llm: Any, provider: LocalProvider, settings: Settings, call: dict[str, Any]
            ) -> tuple[float, int]:
    """The captured call, made directly: grammar from the same schema, same prompt, sampling."""
    from llama_cpp import LlamaGrammar

    kwargs = call["kwargs"]
    started = time.perf_counter()
    schema = kwargs["response_format"]["json_schema"]["schema"] \
        if kwargs["response_format"].get("type") == "json_schema" \
        else kwargs["response_format"]["schema"]
    grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    prompt = provider._prompts.render_transcript(call["messages"])
    out = llm.create_completion(prompt, stop=["\n### "], grammar=grammar,
                                max_tokens=kwargs.get("max_tokens", settings.max_tokens),
                                temperature=kwargs.get("temperature", settings.temperature),
                                top_p=kwargs.get("top_p", settings.top_p),
                                seed=kwargs.get("seed", settings.seed),
                                repeat_penalty=settings.local_repeat_penalty)
    return time.perf_counter() - started, out["usage"]["completion_tokens"]


def compare(folder: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(cache_dir=Path(tmp) / "cache", provider="local",
                            request_timeout_s=900)
        extractor = Extractor(settings)
        provider = extractor.providers.get()
        assert isinstance(provider, LocalProvider)
        provider.load()
        calls = _capture(provider)
        direct_llm = _llama(settings)
        rows = []
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            calls.clear()
            started = time.perf_counter()
            response = extractor.extract(ExtractRequest(text=text,
                                                        options={"use_cache": False}))
            khabar_s = time.perf_counter() - started
            model_calls = list(calls)
            direct_s, direct_tokens = 0.0, 0
            for call in model_calls:
                seconds, tokens = _direct(direct_llm, provider, settings, call)
                direct_s += seconds
                direct_tokens += tokens
            tokens = response.meta.usage.completion_tokens
            rows.append({"article": path.stem[:12], "khabar_s": khabar_s, "direct_s": direct_s,
                         "calls": len(model_calls), "completion_tokens": tokens,
                         "direct_tokens": direct_tokens,
                         "prompt_tokens": response.meta.usage.prompt_tokens,
                         "overhead": khabar_s / direct_s - 1 if direct_s else float("nan")})
        return rows


def prefix_reuse(folder: Path) -> dict[str, float]:
    """Prompt evaluation on a fresh context against one holding the previous prompt's prefix."""
    settings = Settings(cache_dir=Path("/nonexistent"), provider="local")
    provider = LocalProvider(settings, load_prompts(
        settings.prompts_dir, settings.prompt_name))
    prompts = [provider._prompts.render_transcript(provider._prompts.messages(
        p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.txt"))]
    llm = _llama(settings)
    cold, warm = [], []
    for prompt in prompts:
        llm.reset()
        started = time.perf_counter()
        llm.create_completion(prompt, max_tokens=1, temperature=0.0)
        cold.append(time.perf_counter() - started)
    for previous, prompt in zip(prompts, prompts[1:]):
        llm.reset()
        llm.create_completion(previous, max_tokens=1, temperature=0.0)
        started = time.perf_counter()
        llm.create_completion(prompt, max_tokens=1, temperature=0.0)
        warm.append(time.perf_counter() - started)
    prefix = len(_common_prefix(llm, prompts))
    return {"cold_s": statistics.median(cold), "warm_s": statistics.median(warm),
            "prompt_tokens": statistics.median(len(llm.tokenize(p.encode())) for p in prompts),
            "shared_prefix_tokens": prefix}


def _common_prefix(llm: Any, prompts: list[str]) -> list[int]:
    tokenized = [llm.tokenize(p.encode()) for p in prompts]
    shared = tokenized[0]
    for tokens in tokenized[1:]:
        n = 0
        while n < min(len(shared), len(tokens)) and shared[n] == tokens[n]:
            n += 1
        shared = shared[:n]
    return shared


def decoding(folder: Path, tokens: int = 160) -> list[dict[str, Any]]:
    """Decode speed with and without the JSON-schema grammar, on 1 and 2 threads."""
    from llama_cpp import LlamaGrammar

    from schemas.draft import Draft

    settings = Settings(cache_dir=Path("/nonexistent"), provider="local")
    provider = LocalProvider(settings, load_prompts(
        settings.prompts_dir, settings.prompt_name))
    text = sorted(folder.glob("*.txt"))[0].read_text(encoding="utf-8")
    prompt = provider._prompts.render_transcript(provider._prompts.messages(text))
    grammar_json = json.dumps(Draft.model_json_schema())
    rows = []
    for threads in (1, 2):
        llm = _llama(settings, threads)
        llm.create_completion(prompt, max_tokens=1)  # the prompt is evaluated once, then reused
        for constrained in (False, True):
            grammar = LlamaGrammar.from_json_schema(grammar_json, verbose=False) \
                if constrained else None
            started = time.perf_counter()
            out = llm.create_completion(prompt, max_tokens=tokens, temperature=0.0,
                                        grammar=grammar, repeat_penalty=1.1)
            seconds = time.perf_counter() - started
            made = out["usage"]["completion_tokens"]
            rows.append({"threads": threads, "grammar": constrained, "tokens": made,
                         "seconds": seconds, "tok_s": made / seconds})
        del llm
    return rows


def main() -> dict[str, Any]:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "evals/suites/sco/articles"
    rows = compare(folder)
    print("| article | Khabar s | direct s | model calls | prompt tok | completion tok "
          "(Khabar / direct) | tok/s (Khabar) | Khabar overhead |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['article']} | {r['khabar_s']:.1f} | {r['direct_s']:.1f} | {r['calls']} | "
              f"{r['prompt_tokens']} | {r['completion_tokens']} / {r['direct_tokens']} | "
              f"{r['completion_tokens'] / r['khabar_s']:.1f} | {r['overhead'] * 100:+.1f}% |")
    total_k = sum(r["khabar_s"] for r in rows)
    total_d = sum(r["direct_s"] for r in rows)
    print(f"| all | {total_k:.1f} | {total_d:.1f} | | | | | {(total_k / total_d - 1) * 100:+.1f}% |")
    prefix = prefix_reuse(folder)
    print(f"\nprompt evaluation ({prefix['prompt_tokens']:.0f} tokens, "
          f"{prefix['shared_prefix_tokens']} shared by every article's prompt): fresh context "
          f"{prefix['cold_s']:.2f} s, with the previous prompt's prefix in the KV cache "
          f"{prefix['warm_s']:.2f} s")
    dec = decoding(folder)
    print("\n| threads | grammar | tokens | s | tok/s |")
    print("|---|---|---|---|---|")
    for r in dec:
        print(f"| {r['threads']} | {'JSON schema' if r['grammar'] else 'free'} | {r['tokens']} "
              f"| {r['seconds']:.2f} | {r['tok_s']:.1f} |")
    return {"articles": rows, "prefix": prefix, "decoding": dec}


if __name__ == "__main__":
    main()
