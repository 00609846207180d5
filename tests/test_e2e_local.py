"""End to end on the real embedded model (the bundled Gemma 3 270M GGUF), over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import jsonschema
import pytest

from schemas.contract import ExtractRequest
from service.api import create_app
from service.extractor import Extractor
from service.settings import Settings
from tests.conftest import ARTICLES, article
from tests.servers import serve

pytestmark = pytest.mark.model

A003 = article("003")


def test_an_article_through_http_on_the_embedded_model(settings: Settings) -> None:
    # The fixture's 5 s deadline suits fake providers; the model needs tens of seconds here.
    app = create_app(settings.model_copy(update={"provider": "local",
                                                 "request_timeout_s": 600.0}))
    with serve(app) as base, httpx.Client(base_url=base, timeout=600) as client:
        assert client.get("/healthz").json()["provider"] == "local"
        request = {"text": A003, "published": "2021-07-14"}
        first = client.post("/extract", json=request)
        assert first.status_code == 200, first.text
        body = first.json()
        jsonschema.validate(body, client.get("/schema").json())
        meta = body["meta"]
        assert meta["provider"] == "local" and meta["model"].endswith(".gguf")
        assert meta["cached"] is False
        assert meta["usage"]["completion_tokens"] > 0
        for quote in body["quotes"]:
            if quote["grounding"] != "none":
                assert A003[quote["start"]:quote["end"]] == quote["text"]
        second = client.post("/extract", json=request).json()
        assert second["meta"]["cached"] is True
        assert {k: v for k, v in second.items() if k != "meta"} == \
            {k: v for k, v in body.items() if k != "meta"}
        assert client.get("/healthz").json()["provider_detail"] == "model loaded"


def test_the_cli_prints_the_same_contract_json(settings: Settings, tmp_path: Path) -> None:
    path = next(ARTICLES.glob("003_*.txt"))
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "extract", str(path), "--published", "2021-07-14"],
        capture_output=True, text=True, timeout=600, check=False,
        env={"KHABAR_CACHE_DIR": str(tmp_path / "cli-cache"), "PATH": "/usr/bin:/bin",
             "HOME": str(Path.home())})
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["schema_version"] == "1.1"
    assert body["article"]["published"] == "2021-07-14"
    # The default provider (rules) reads the article: real records, every one grounded.
    assert body["meta"]["provider"] == "rules" and body["quotes"] and body["entities"]


def test_an_answer_does_not_depend_on_what_the_model_read_before(settings: Settings) -> None:
    # The shared prompt prefix stays in the KV cache between requests; the answer for an
    # article must be the same whether it comes first, after another article, or after the
    # prefix was evaluated at start-up.
    first = "استقبل الرئيس الكازاخستاني في أستانا وزير الخارجية الصيني وبحث معه قمة منظمة شنغهاي."
    other = "أعلنت وزارة الخارجية الهندية أن رئيس الوزراء سيزور موسكو الأسبوع المقبل."
    local = settings.model_copy(update={"provider": "local", "request_timeout_s": 600.0})

    def answer(extractor: Extractor, text: str) -> dict:
        return extractor.extract(ExtractRequest(text=text, options={"use_cache": False})
                                 ).model_dump(exclude={"meta"})

    cold = Extractor(local)
    alone = answer(cold, first)
    answer(cold, other)
    assert answer(cold, first) == alone

    warm = Extractor(local)
    warm.providers.get().load()  # type: ignore[attr-defined]
    assert answer(warm, first) == alone
