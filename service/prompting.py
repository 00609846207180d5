"""Prompt files: loading them, building messages, and the version they carry.

A prompt set is a folder under ``prompts/``: ``system.md``, ``user.jinja`` (the article turn),
``transcript.jinja`` (how a chat is written out for a base model) and ``examples/*.json``
(few-shot pairs of an article and the JSON expected for it). ``version`` is a digest of every
file in the folder, so editing any of them changes cache keys and ``meta.prompt_version``.

A set may instead carry ``prompt.toml`` naming where its parts come from: ``system.jinja``
rendered with sections of the labelling guide (``evals/GUIDE.md``) and the draft's field
meanings, and examples from another folder. The rules a model is asked to follow are then the
very rules the gold follows, from one file; the digest covers the rendered text, so a change to
the guide changes the version.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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


def _digest(folder: Path, *rendered: str) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        sha.update(path.relative_to(folder).as_posix().encode())
        sha.update(b"\0")
        sha.update(path.read_bytes())
    for text in rendered:
        sha.update(b"\0")
        sha.update(text.encode("utf-8"))
    return sha.hexdigest()[:12]


_SECTION = re.compile(r"^## (\d+)\.", re.MULTILINE)


def guide_sections(guide: str, wanted: list[str]) -> str:
    """The ``## N.`` sections of a markdown guide whose numbers are in ``wanted``, in order."""
    starts = list(_SECTION.finditer(guide))
    parts = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(guide)
        if match.group(1) in wanted:
            parts.append(guide[match.start():end].strip())
    missing = set(wanted) - {m.group(1) for m in starts}
    if missing:
        raise ValueError(f"the guide has no section(s) {sorted(missing)}")
    return "\n\n".join(parts)


def _manifest(folder: Path) -> dict[str, Any]:
    path = folder / "prompt.toml"
    return tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _system_text(folder: Path, spec: dict[str, Any]) -> str:
    if not spec:
        return (folder / "system.md").read_text(encoding="utf-8").strip()
    from schemas.draft import field_meanings

    guide = spec.get("guide", {})
    rules = ""
    if guide:
        text = (folder / guide["path"]).resolve().read_text(encoding="utf-8")
        rules = guide_sections(text, [str(n) for n in guide["sections"]])
    template = _ENV.from_string((folder / spec.get("system", "system.jinja"))
                                .read_text(encoding="utf-8"))
    return template.render(guide=rules, fields=field_meanings()).strip()


@lru_cache(maxsize=8)
def load_prompts(prompts_dir: Path, name: str) -> PromptSet:
    folder = prompts_dir / name
    if not folder.is_dir():
        raise FileNotFoundError(f"prompt set {name!r} not found under {prompts_dir}")
    spec = _manifest(folder)

    def part(key: str, default: str) -> Path:
        return (folder / spec.get(key, default)).resolve()

    examples = []
    for path in sorted(part("examples", "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        output = json.dumps(data["output"], ensure_ascii=False, separators=(",", ":"))
        examples.append(Example(article=data["article"], output=output))
    system = _system_text(folder, spec)
    user = part("user", "user.jinja").read_text(encoding="utf-8")
    transcript = part("transcript", "transcript.jinja").read_text(encoding="utf-8")
    # Parts may come from outside the folder (the guide, another set's templates): with a
    # manifest, the digest covers what the model is actually shown.
    version = _digest(folder, system, user, transcript,
                      *(e.article + e.output for e in examples)) if spec else _digest(folder)
    return PromptSet(
        name=name,
        version=f"{name}-{version}",
        system=system,
        user=_ENV.from_string(user),
        transcript=_ENV.from_string(transcript),
        examples=tuple(examples),
    )
