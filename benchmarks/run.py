"""Every benchmark, one command: prints each table and writes ``benchmarks/RESULTS.md``.

Run: python benchmarks/run.py [--skip-model]
(``--skip-model`` leaves out the embedded-model figures, which take about 15 minutes.)
The HTTP figures come from a real ``khabar serve`` process, with one worker and with two.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import platform
import sys
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import embedded, growth, http_paths, pure_paths, rules_speed  # noqa: E402


BOUNDS = """## What bounds the targets that do not hold

- Cache hits/s with one worker: the per-request CPU of uvicorn, Starlette and FastAPI on one
  core (Khabar's own work on a hit is about 1 ms of the total); two workers
  (`khabar serve --workers 2`) use both cores.
- Miss overhead and concurrent misses: about 7 ms of CPU per miss, most of it inside
  instructor (it walks the response model for async validators on every call) and the openai
  SDK (it transforms the few-shot messages), serialised by the GIL in one process.
- Embedded model: decoding under the JSON-schema grammar runs at about a third of free
  decoding, because llama-cpp-python applies the grammar to the whole 262k-token vocabulary
  at every step. The shared prompt prefix is kept in the KV cache (evaluated the same way
  every time, so answers do not depend on the previous request).
- Growth rows above 12,000 characters are chunked (`KHABAR_CHUNK_CHARS`); the benchmark's one
  extractor reuses cached chunks that longer articles share with shorter ones.
"""


def _captured(fn: Callable[[], Any]) -> tuple[Any, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        value = fn()
    sys.stdout.write(out.getvalue() + "\n")
    return value, out.getvalue()


def _http(workers: int) -> dict[str, Any]:
    figures = http_paths.measure(workers)
    http_paths.report(figures)
    return figures


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem = next((int(line.split()[1]) // 2**20 for line in
                Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")),
               0)
    import llama_cpp

    return (f"{cpu}, {os.cpu_count()} cores, {mem} GiB RAM; Python {platform.python_version()}, "
            f"llama-cpp-python {llama_cpp.__version__}")


def _holds(ok: bool) -> str:
    return "holds" if ok else "**does not hold**"


def main() -> None:
    skip_model = "--skip-model" in sys.argv
    one, one_text = _captured(lambda: _http(1))
    two, two_text = _captured(lambda: _http(2))
    pure, pure_text = _captured(pure_paths.main)
    grow, grow_text = _captured(growth.main)
    rules, rules_text = _captured(lambda: rules_speed.report(rules_speed.measure()) or
                                  rules_speed.LAST)
    model, model_text = (None, "(skipped: --skip-model)") if skip_model \
        else _captured(embedded.main)

    hit1 = one["hits"][0]
    hit32 = one["hits"][1]
    hit32_two = two["hits"][1]
    miss = one["misses"]
    rows = [
        ("cache hit p50, 1 client", "≤ 5 ms", f"{hit1['p50_ms']:.2f} ms",
         _holds(hit1["p50_ms"] <= 5)),
        ("cache hits/s, 32 clients, 1 worker", "≥ 500", f"{hit32['rps']:.0f}",
         _holds(hit32["rps"] >= 500)),
        ("cache hits/s, 32 clients, 2 workers", "≥ 500", f"{hit32_two['rps']:.0f}",
         _holds(hit32_two["rps"] >= 500)),
        ("miss overhead over a direct call, 1 client", "≤ 5%", f"{miss['overhead'] * 100:+.1f}%",
         _holds(miss["overhead"] <= 0.05)),
        ("32 concurrent misses vs one", "≤ 1.5×", f"{miss['concurrent_ratio']:.2f}×",
         _holds(miss["concurrent_ratio"] <= 1.5)),
        ("ground 200 quotes in 50,000 chars", "well under 1 s",
         f"{pure[0]['seconds']:.3f} s", _holds(pure[0]["seconds"] < 0.5)),
        ("score a 100-article suite", "well under 1 s", f"{pure[1]['seconds']:.3f} s",
         _holds(pure[1]["seconds"] < 0.5)),
        ("default provider (rules), p50 per 5,000 characters", "≤ 2 s",
         f"{rules['per_5k_p50_ms']:.0f} ms", _holds(rules["per_5k_p50_ms"] <= 2000)),
        ("rules, p50 per suite article", "≤ 50 ms", f"{rules['request_p50_ms']:.0f} ms",
         _holds(rules["request_p50_ms"] <= 50)),
        ("rules analysis of a 50,000-character article", "well under 0.5 s",
         f"{rules['growth'][-1][1]:.0f} ms", _holds(rules["growth"][-1][1] < 500)),
    ]
    if model is not None:
        total_k = sum(r["khabar_s"] for r in model["articles"])
        total_d = sum(r["direct_s"] for r in model["articles"])
        rows.append(("embedded model: Khabar over direct llama-cpp-python", "≤ 10%",
                     f"{(total_k / total_d - 1) * 100:+.1f}%", _holds(total_k / total_d <= 1.1)))

    lines = [
        "# Benchmark results",
        "",
        f"Machine: {_machine()}.  ",
        f"Date: {dt.date.today().isoformat()}. Command: `python benchmarks/run.py`"
        f"{' --skip-model' if skip_model else ''} (each part also runs alone: "
        "`python benchmarks/http_paths.py [--workers 2]`, `pure_paths.py`, `growth.py`, "
        "`rules_speed.py`, `embedded.py`; load: `load.py`).",
        "",
        "| target | wanted | measured | |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        "## Cache hits and misses over HTTP, one worker",
        "", one_text,
        "## The same, two workers (`khabar serve --workers 2`)",
        "", two_text,
        "## Grounding and scoring on large inputs",
        "", pure_text,
        "## Cost growth with article length",
        "", grow_text,
        "## Default provider: the Arabic rules", "", rules_text,
        "## Embedded model",
        "", model_text,
        BOUNDS,
    ]
    (ROOT / "benchmarks" / "RESULTS.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("written: benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
