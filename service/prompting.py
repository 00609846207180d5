"""Prompt files: loading them, building messages, and the version they carry.

A prompt set is a folder under ``prompts/``: ``system.md``, ``user.jinja`` (the article turn),
``transcript.jinja`` (how a chat is written out for a base model) and ``examples/*.json``
(few-shot pairs of an article and the JSON expected for it). ``version`` is a digest of every
file in the folder, so editing any of them changes cache keys and ``meta.prompt_version``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False,
                          autoescape=False)


@dataclass(frozen=True)
class Example:
    article: str
    output: str  # compact JSON, as the model should write it


@dataclass(frozen=True)
class PromptSet:
    name: str
    version: str
    system: str
    user: jinja2.Template
    transcript: jinja2.Template
    examples: tuple[Example, ...]

    def messages(self, text: str) -> list[dict[str, str]]:
        """System instructions, the few-shot turns, then the article."""
        messages = [{"role": "system", "content": self.system}]
        for example in self.examples:
            messages.append({"role": "user", "content": self.user.render(text=example.article)})
            messages.append({"role": "assistant", "content": example.output})
        messages.append({"role": "user", "content": self.user.render(text=text)})
        return messages

    def render_transcript(self, messages: list[dict[str, str]]) -> str:
        return self.transcript.render(messages=messages)


def _digest(folder: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(path.relative_to(folder).as_posix().encode())
        sha.update(b"\0")
        sha.update(path.read_bytes())
    return sha.hexdigest()[:12]


@lru_cache(maxsize=8)
def load_prompts(prompts_dir: Path, name: str) -> PromptSet:
    folder = prompts_dir / name
    if not folder.is_dir():
        raise FileNotFoundError(f"prompt set {name!r} not found under {prompts_dir}")
    examples = []
    for path in sorted((folder / "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        output = json.dumps(data["output"], ensure_ascii=False, separators=(",", ":"))
        examples.append(Example(article=data["article"], output=output))
    return PromptSet(
        name=name,
        version=f"{name}-{_digest(folder)}",
        system=(folder / "system.md").read_text(encoding="utf-8").strip(),
        user=_ENV.from_string((folder / "user.jinja").read_text(encoding="utf-8")),
        transcript=_ENV.from_string((folder / "transcript.jinja").read_text(encoding="utf-8")),
        examples=tuple(examples),
    )
