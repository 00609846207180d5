"""A model composed with the rules: ``rules+local``, ``rules+openai:MODEL``.

The language layer reads the article first. Its findings go to the model as candidates in the
prompt (actors with their type and state, the statements a cue introduces, the clauses a
trigger reports), and the model's draft is then merged with the rules' draft: the union, with a
record both found kept once (the rules' copy, whose spans are the article's own characters).
"""

from __future__ import annotations

from pydantic import BaseModel

from schemas.draft import Draft, as_draft
from service.arabic.analysis import Analysis, analyze
from service.arabic.drafting import to_draft
from service.arabic.merge import merge_drafts
from service.providers.base import Completion, Provider, ProviderIdentity

_MAX_HINTS = 40
# The candidates must not crowd the article out of a small model's context window.
_MAX_CHARS = 3000


def candidates(analysis: Analysis) -> str:
    """The rules' findings as plain lines a model can read before the article."""
    text = analysis.text
    lines = ["Candidates found in the article by Khabar's Arabic rules (check them against "
             "the article; add what they missed, drop what is wrong):"]
    for a in analysis.actors[:_MAX_HINTS]:
        lines.append(f"- actor: {a.name} ({a.type}{', ' + a.country if a.country else ''})")
    for q in analysis.quotes[:_MAX_HINTS]:
        who = q.speaker.name if q.speaker else "?"
        lines.append(f"- statement by {who} ({q.cue}, {q.kind}): {text[q.start:q.end][:160]}")
    for e in analysis.events[:_MAX_HINTS]:
        lines.append(f"- happening {e.type}/{e.mode} ({e.status}): {text[e.start:e.end][:160]}")
    out, size = [], 0
    for line in lines:
        size += len(line) + 1
        if size > _MAX_CHARS:
            break
        out.append(line)
    return "\n".join(out)


class ComposedProvider:
    def __init__(self, rules: Provider, model: Provider, messages_for):  # type: ignore[no-untyped-def]
        self._rules = rules
        self._model = model
        self._messages_for = messages_for  # PromptSet.messages
        self.serial = model.serial
        self.identity = ProviderIdentity(
            name=f"rules+{model.identity.name}",
            model=f"{model.identity.model}+{rules.identity.model}",
            sampling=model.identity.sampling, endpoint=model.identity.endpoint,
            prompt_set=model.identity.prompt_set)

    def ready(self) -> tuple[bool, str]:
        return self._model.ready()

    def draft_for(self, text: str) -> Completion:
        analysis = analyze(text)
        ours = to_draft(analysis)
        messages = self._messages_for(text)
        messages[-1] = {**messages[-1],
                        "content": candidates(analysis) + "\n\n" + messages[-1]["content"]}
        shape = getattr(self._model, "response_model_for", None)
        model: type[BaseModel] = shape(text) if shape is not None else Draft
        theirs = self._model.complete(messages, model)
        merged = merge_drafts(ours, as_draft(theirs.value))
        return Completion(value=merged, model=self.identity.model,
                          prompt_tokens=theirs.prompt_tokens,
                          completion_tokens=theirs.completion_tokens)

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        raise TypeError("a composed provider reads articles through draft_for(), not prompts")
