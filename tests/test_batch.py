"""``khabar batch``: one line per article, failures that never stop the batch, and a resume
after a kill that neither repeats nor loses an article."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.batch import compact, outcomes, read_inputs, repair
from tests.conftest import ARTICLES, DRAFT_003
from tests.openai_server import Action, OpenAIServer, answer
from tests.processes import ROOT


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """The five articles three times over under different names, and one empty file."""
    folder = tmp_path / "in"
    folder.mkdir()
    for copy in range(3):
        for path in sorted(ARTICLES.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            (folder / f"{path.stem[:3]}-{copy}.txt").write_text(f"{text}\n({copy})",
                                                                 encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    return folder


def _batch(folder: Path, out: Path, provider_url: str, cache: Path, *extra: str,
           wait: bool = True) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "service.cli", "batch", str(folder), "--out", str(out),
               "--provider", "openai:test-model", *extra]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()),
           "PYTHONPATH": str(ROOT), "KHABAR_CACHE_DIR": str(cache),
           "KHABAR_OPENAI_BASE_URL": provider_url, "OPENAI_API_KEY": "sk-test",
           "KHABAR_RETRY_BACKOFF_S": "0.01", "KHABAR_PROVIDER_RETRIES": "1"}
    if wait:
        return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_every_article_gets_one_line_and_a_bad_one_does_not_stop_the_batch(
        articles: Path, tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = answer(DRAFT_003)
    out = tmp_path / "results.jsonl"
    done = _batch(articles, out, url, tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    lines = _lines(out)
    assert sorted(line["id"] for line in lines) == sorted(p.stem for p in articles.glob("*.txt"))
    by_id = {line["id"]: line for line in lines}
    assert by_id["empty"]["ok"] is False and "empty" in by_id["empty"]["error"]["message"]
    assert all(line["ok"] and line["result"]["article"]["id"] == line["id"]
               for line in lines if line["id"] != "empty")
    assert "15 extracted, 1 failed" in done.stderr


def test_a_killed_batch_resumes_without_repeating_or_losing_an_article(
        articles: Path, tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(content=answer(DRAFT_003).content, delay_s=0.4)
    out = tmp_path / "results.jsonl"
    running = _batch(articles, out, url, tmp_path / "cache", "--concurrency", "2", wait=False)
    deadline = time.monotonic() + 120
    while not out.exists() or len(out.read_bytes().splitlines()) < 4:
        assert running.poll() is None, running.communicate()
        assert time.monotonic() < deadline, "the batch never got going"
        time.sleep(0.05)
    os.killpg(running.pid, signal.SIGKILL)
    running.wait()
    # The kill may land mid-write: simulate the worst case, a partial last line.
    with out.open("ab") as handle:
        handle.write(b'{"id": "004-2", "ok": tr')
    first_run = {line["id"] for line in _lines_tolerant(out)}
    assert 4 <= len(first_run) < 16

    calls_before = len(fake.requests)
    fake.default = answer(DRAFT_003)
    done = _batch(articles, out, url, tmp_path / "cache", "--concurrency", "2")
    assert done.returncode == 0, done.stderr
    lines = _lines(out)
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids)) == 16  # none twice, none lost
    assert f"{len(first_run)} already done" in done.stderr
    # The second run asked the provider only for what the first had not finished.
    assert len(fake.requests) - calls_before == 15 - len(first_run - {"empty"})


def _lines_tolerant(out: Path) -> list[dict]:
    lines = []
    for line in out.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def test_failed_articles_are_redone_only_when_asked(
        articles: Path, tmp_path: Path, openai_server: tuple[OpenAIServer, str]) -> None:
    fake, url = openai_server
    fake.default = Action(status=500)
    out = tmp_path / "results.jsonl"
    failing = _batch(articles, out, url, tmp_path / "cache")
    assert failing.returncode == 0
    assert not any(line["ok"] for line in _lines(out))

    fake.default = answer(DRAFT_003)
    calls = len(fake.requests)
    again = _batch(articles, out, url, tmp_path / "cache")
    assert len(fake.requests) == calls  # failed ones are not redone by default
    assert "16 already done" in again.stderr

    retried = _batch(articles, out, url, tmp_path / "cache", "--retry-failed")
    assert retried.returncode == 0, retried.stderr
    lines = _lines(out)
    assert len(lines) == 16
    assert {line["id"] for line in lines if not line["ok"]} == {"empty"}


def test_a_partial_last_line_is_cut_and_compaction_keeps_the_latest_outcome(
        tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    out.write_text('{"id": "a", "ok": false, "error": {}}\n{"id": "b", "ok": true}\n'
                   '{"id": "a", "ok": true}\n{"id": "c", "o', encoding="utf-8")
    repair(out)
    assert out.read_text(encoding="utf-8").endswith('{"id": "a", "ok": true}\n')
    assert outcomes(out) == {"a": True, "b": True}
    compact(out)
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["a", "b"]
    assert outcomes(out) == {"a": True, "b": True}


def test_jsonl_input_takes_ids_from_requests_and_reports_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join([
        json.dumps({"id": "x1", "text": "نص الخبر", "published": "2024-07-04"}),
        json.dumps({"text": "نص آخر"}),
        "not json",
        json.dumps({"id": "x4", "text": "نص", "published": "yesterday"}),
    ]), encoding="utf-8")
    items = list(read_inputs(source))
    assert [i.id for i in items] == ["x1", "line-2", "line-3", "x4"]
    assert items[0].request is not None and str(items[0].request.published) == "2024-07-04"
    assert items[2].request is None and items[2].error["code"] == "invalid_request"
    assert items[3].request is None and "published" in items[3].error["message"]
