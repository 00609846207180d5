"""Running a suite: the service's own path, reports, record/replay, compare and the gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.recording import RecordingMismatch
from evals.report import compare, write_reports
from evals.runner import baseline_from, check_baseline, run_suite
from evals.suite import load_suite
from service.cli import app
from service.extractor import Extractor
from service.settings import Settings, get_settings
from tests.conftest import ARTICLES
from tests.openai_server import Action, OpenAIServer, answer
from tests.test_scoring import GOLD, RICHER


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    root = tmp_path / "suite"
    (root / "articles").mkdir(parents=True)
    (root / "gold").mkdir()
    source = next(ARTICLES.glob("003_*.txt"))
    shutil.copy(source, root / "articles" / "a003.txt")
    (root / "gold" / "a003.json").write_text(json.dumps(GOLD, ensure_ascii=False),
                                            encoding="utf-8")
    (root / "suite.toml").write_text('name = "mini"\n[published]\na003 = 2021-07-14\n'
                                     '[thresholds]\nschema_validity = 1.0\n', encoding="utf-8")
    return root


def _extractor(settings: Settings, url: str) -> Extractor:
    return Extractor(settings.model_copy(update={"openai_base_url": url,
                                                 "provider": "openai:test-model"}))


def test_a_run_scores_the_prediction_and_writes_three_reports(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path,
        tmp_path: Path) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    suite = load_suite(suite_dir)
    assert suite.articles[0].published.isoformat() == "2021-07-14"
    results = run_suite(suite, _extractor(settings, url))
    assert results["overall"]["kinds"]["quotes"]["f1"] == 1.0
    assert results["overall"]["schema_validity"] == 1.0
    out = tmp_path / "out"
    write_reports(results, out, {a.id: a.text for a in suite.articles},
                  {a.id: a.gold for a in suite.articles})
    assert json.loads((out / "results.json").read_text())["suite"] == "mini"
    assert "| **micro** |" in (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    assert 'class="article"' in page and "direction: rtl" in page
    assert page.count('class="quote hit"') >= len(GOLD["quotes"]) * 2  # gold and predicted


def test_a_failed_article_is_scored_as_invalid_not_skipped(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path) -> None:
    fake, url = openai_server
    fake.default = Action(status=500)
    results = run_suite(load_suite(suite_dir), _extractor(settings, url))
    assert results["articles"][0]["error"].startswith("provider_unavailable")
    assert results["overall"]["schema_validity"] == 0.0
    assert results["overall"]["kinds"]["quotes"]["recall"] == 0.0


def test_a_recording_replays_without_the_provider(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path,
        tmp_path: Path) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    recording = tmp_path / "rec.json"
    recorded = run_suite(load_suite(suite_dir), _extractor(settings, url), record=recording)
    fake.default = Action(status=500)
    seen = len(fake.requests)
    replayed = run_suite(load_suite(suite_dir), _extractor(settings, url), replay=recording,
                         use_cache=False)
    assert len(fake.requests) == seen
    assert replayed["overall"] == recorded["overall"]


def test_a_stale_recording_fails_loudly(settings: Settings, openai_server: tuple[OpenAIServer,
                                        str], suite_dir: Path, tmp_path: Path) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    recording = tmp_path / "rec.json"
    run_suite(load_suite(suite_dir), _extractor(settings, url), record=recording)
    body = json.loads(recording.read_text())
    body["prompt_version"] = "extract-000000000000"
    recording.write_text(json.dumps(body))
    with pytest.raises(RecordingMismatch, match="Record the suite again"):
        run_suite(load_suite(suite_dir), _extractor(settings, url), replay=recording)


def test_the_gate_catches_a_drop_beyond_tolerance_and_compare_shows_it(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    good = run_suite(load_suite(suite_dir), _extractor(settings, url), use_cache=False)
    worse_draft = {**RICHER, "quotes": RICHER["quotes"][:1]}
    fake.push(answer(worse_draft))
    worse = run_suite(load_suite(suite_dir), _extractor(settings, url), use_cache=False)
    baseline = baseline_from(good, tolerance=0.05, reason="test")
    assert check_baseline(good, baseline, {"schema_validity": 1.0}) == []
    problems = check_baseline(worse, baseline, {})
    assert any(p.split(": ")[0].endswith("/quotes.f1") for p in problems)
    assert check_baseline(worse, {**baseline, "tolerance": 0.9}, {}) == []
    deltas = {name: delta for name, _, _, delta in compare(good, worse)}
    assert deltas["quotes.recall"] < 0 and deltas["entities.f1"] == 0


def test_the_cli_runs_a_suite_and_compares_runs(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    monkeypatch.setenv("KHABAR_OPENAI_BASE_URL", url)
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path / "cli-cache"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        out = tmp_path / "run1"
        done = runner.invoke(app, ["evals", "run", str(suite_dir), "--provider",
                                   "openai:test-model", "--out", str(out)])
        assert done.exit_code == 0, done.output
        assert {p.name for p in out.iterdir()} == {"results.json", "report.md", "report.html"}
        compared = runner.invoke(app, ["evals", "compare", str(out), str(out)])
        assert compared.exit_code == 0 and "quotes.f1" in compared.output
        missing = runner.invoke(app, ["evals", "run", str(tmp_path / "nowhere")])
        assert missing.exit_code == 2 and "not a suite" in missing.output
    finally:
        get_settings.cache_clear()


def test_the_rules_provider_is_recorded_by_article_and_replayed(settings: Settings,
                                                                 suite_dir: Path,
                                                                 tmp_path: Path) -> None:
    rules = settings.model_copy(update={"provider": "rules"})
    recording = tmp_path / "rules.json"
    first = run_suite(load_suite(suite_dir), Extractor(rules), record=recording,
                      use_cache=False)
    assert json.loads(recording.read_text(encoding="utf-8"))["reads"] == "article"
    again = run_suite(load_suite(suite_dir), Extractor(rules), replay=recording,
                      use_cache=False)
    assert again["overall"] == first["overall"]
    assert again["articles"][0]["error"] is None


def test_a_run_reports_tokens_per_article_and_the_cost_at_given_prices(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))  # the loopback server reports 100 input and 20 output tokens
    monkeypatch.setenv("KHABAR_OPENAI_BASE_URL", url)
    monkeypatch.setenv("KHABAR_CACHE_DIR", str(tmp_path / "cli-cache"))
    monkeypatch.setenv("KHABAR_PRICE_OUTPUT_PER_M", "10")  # a setting; the flag overrides it
    get_settings.cache_clear()
    try:
        out = tmp_path / "priced"
        done = CliRunner().invoke(app, ["evals", "run", str(suite_dir), "--provider",
                                        "openai:test-model", "--out", str(out),
                                        "--price-input", "2.5"])
        assert done.exit_code == 0, done.output
    finally:
        get_settings.cache_clear()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["tokens"]["per_article"] == {"prompt": 100.0, "completion": 20.0}
    # 100 × 2.5 + 20 × 10 per million tokens, for one article.
    assert results["cost"]["suite"] == pytest.approx(450e-6)
    assert results["cost"]["per_1000_articles"] == pytest.approx(0.45)
    assert "per 1,000 articles" in (out / "report.md").read_text(encoding="utf-8")
    assert "0.45 per 1,000 articles" in " ".join(done.output.split())


def test_without_prices_a_run_reports_tokens_and_no_cost(
        settings: Settings, openai_server: tuple[OpenAIServer, str], suite_dir: Path) -> None:
    fake, url = openai_server
    fake.push(answer(RICHER))
    results = run_suite(load_suite(suite_dir), _extractor(settings, url))
    assert results["tokens"]["prompt"] == 100 and results["cost"] is None
