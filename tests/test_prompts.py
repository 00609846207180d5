"""Prompt sets: remote models are asked with the labelling guide itself, and no prompt carries
a suite article's words."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from schemas.draft import Draft
from service.extractor import Extractor
from service.prompting import guide_sections, load_prompts
from service.settings import PROJECT_ROOT, Settings

PROMPTS = PROJECT_ROOT / "prompts"
GUIDE = PROJECT_ROOT / "evals" / "GUIDE.md"
SUITE_ARTICLES = sorted((PROJECT_ROOT / "evals" / "suites").glob("*/articles/*.txt"))


def _squeezed(text: str) -> str:
    return " ".join(text.split())


def test_the_remote_prompt_is_the_guides_labelling_rules_with_the_field_meanings() -> None:
    system = load_prompts(PROMPTS, "guided").system
    guide = GUIDE.read_text(encoding="utf-8")
    for section in ("0", "1", "2", "3", "4", "7"):
        assert guide_sections(guide, [section]) in system
    # The gold file's bookkeeping is not the model's business.
    for section in ("5", "6", "8"):
        assert guide_sections(guide, [section]) not in system
    assert "- evidence: the clause reporting the event, copied verbatim" in system
    assert "- holder: who takes the stance, named as in entities" in system


def test_a_change_to_the_guide_changes_the_remote_prompt_version(tmp_path: Path) -> None:
    (tmp_path / "evals").mkdir()
    shutil.copytree(PROMPTS, tmp_path / "prompts")
    shutil.copy(GUIDE, tmp_path / "evals" / "GUIDE.md")
    before = load_prompts(tmp_path / "prompts", "guided")
    guide = tmp_path / "evals" / "GUIDE.md"
    guide.write_text(guide.read_text(encoding="utf-8").replace(
        "## 4. Positions", "## 4. Positions\nA new rule for stances.", 1), encoding="utf-8")
    load_prompts.cache_clear()
    after = load_prompts(tmp_path / "prompts", "guided")
    assert after.version != before.version
    assert "A new rule for stances." in after.system
    # The embedded model's set does not read the guide.
    assert load_prompts(tmp_path / "prompts", "extract").version == \
        load_prompts(PROMPTS, "extract").version


def test_each_provider_reads_its_own_prompt_set(tmp_path: Path) -> None:
    extractor = Extractor(Settings(cache_dir=tmp_path))
    assert extractor.prompts_for(extractor.providers.get("openai:m")).name == "guided"
    assert extractor.prompts_for(extractor.providers.get("rules+openai:m")).name == "guided"
    assert extractor.prompts_for(extractor.providers.get("local")).name == "extract"


def _prompt_texts() -> dict[str, str]:
    texts = {str(p.relative_to(PROJECT_ROOT)): p.read_text(encoding="utf-8")
             for p in PROMPTS.rglob("*") if p.is_file()}
    for folder in PROMPTS.iterdir():
        prompts = load_prompts(PROMPTS, folder.name)
        texts[f"{folder.name} as sent"] = "\n".join(
            [prompts.system, *(e.article + e.output for e in prompts.examples)])
    return {name: _squeezed(text) for name, text in texts.items()}


@pytest.mark.parametrize("path", SUITE_ARTICLES, ids=lambda p: p.stem[:16])
def test_no_prompt_carries_a_suite_articles_sentence_or_passage(path: Path) -> None:
    # Few-shot examples and guide illustrations are written for the prompt; a suite article
    # in the prompt would make every score on it a score of copying.
    words = path.read_text(encoding="utf-8").split()
    sentences = [_squeezed(s) for s in re.split(r"[.!?؟\n]+", path.read_text(encoding="utf-8"))
                 if len(s.split()) >= 5]
    runs = {" ".join(words[i:i + 6]) for i in range(len(words) - 5)}
    for name, text in _prompt_texts().items():
        assert not [s for s in sentences if s in text], name
        assert not [r for r in runs if r in text], name


@pytest.mark.parametrize("name", ["extract", "guided"])
def test_every_few_shot_answer_is_a_valid_draft_grounded_in_its_article(name: str) -> None:
    for example in load_prompts(PROMPTS, name).examples:
        draft = Draft.model_validate(json.loads(example.output))
        names = {e.name for e in draft.entities}
        texts = [v.evidence for v in draft.events] + [q.text for q in draft.quotes] + \
            [p.evidence for p in draft.positions]
        assert all(t in example.article for t in texts)
        pointed = [p.name for v in draft.events for p in v.participants] + \
            [q.speaker for q in draft.quotes] + [p.holder for p in draft.positions]
        aliases = {a for e in draft.entities for a in e.aliases}
        assert set(pointed) <= names | aliases
