"""The cache key covers everything that can change an answer; only valid answers are kept."""

from __future__ import annotations

from pathlib import Path

import diskcache
import pytest
from pydantic import ValidationError

from schemas.draft import Draft
from service.cache import CachedAnswer, ResultCache, cache_key
from tests.conftest import DRAFT_003

BASE = dict(text="نص المقالة", provider="local", model="gemma.gguf", endpoint=None,
            prompt_version="extract-abc", schema_version="1",
            sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": 1536, "seed": 0})


@pytest.mark.parametrize(("field", "value"), [
    ("text", "نص آخر"),
    ("provider", "openai:gpt-4o-mini"),
    ("model", "other.gguf"),
    ("endpoint", "http://127.0.0.1:9/v1#json_schema"),
    ("prompt_version", "extract-def"),
    ("schema_version", "2"),
])
def test_each_input_changes_the_key(field: str, value: str) -> None:
    assert cache_key(**{**BASE, field: value}) != cache_key(**BASE)


@pytest.mark.parametrize(("param", "value"), [
    ("temperature", 0.7), ("top_p", 0.9), ("max_tokens", 512), ("seed", 1),
])
def test_each_sampling_parameter_changes_the_key(param: str, value: float) -> None:
    sampling = {**BASE["sampling"], param: value}  # type: ignore[dict-item]
    assert cache_key(**{**BASE, "sampling": sampling}) != cache_key(**BASE)


def test_the_key_is_stable() -> None:
    assert cache_key(**BASE) == cache_key(**dict(BASE))


def test_a_stored_answer_survives_a_new_process(tmp_path: Path) -> None:
    answer = CachedAnswer(Draft.model_validate(DRAFT_003), "m", 10, 5)
    first = ResultCache(tmp_path)
    first.set("k", answer)
    first.close()
    again = ResultCache(tmp_path).get("k", Draft)
    assert again is not None
    assert again.value == answer.value and again.prompt_tokens == 10


def test_an_invalid_answer_is_never_stored(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    bad = Draft.model_construct(entities=[{"name": "", "type": "planet"}], events=[], quotes=[],
                                positions=[])
    with pytest.raises(ValidationError), pytest.warns(UserWarning):
        cache.set("k", CachedAnswer(bad, "m", 0, 0))
    assert cache.get("k", Draft) is None


def test_a_corrupted_entry_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path)
    with diskcache.Cache(str(tmp_path)) as raw:  # another process writing the same directory
        raw.set("k", '{"value": {"entities": "not a list"}}')
        assert cache.get("k", Draft) is None
        assert "k" not in raw


def test_an_unusable_cache_directory_disables_the_cache_instead_of_failing(tmp_path: Path
                                                                           ) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    cache = ResultCache(blocker / "cache")
    assert cache.status.startswith("cache unavailable")
    cache.set("k", CachedAnswer(Draft(), "m", 0, 0))
    assert cache.get("k", Draft) is None
