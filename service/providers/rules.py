"""The ``rules`` provider: the Arabic language layer alone, no model.

It reads the article with ``service.arabic`` (lexicons, patterns, linking) and hands back the
same :class:`~schemas.draft.Draft` a model would write, so everything after it — resolver,
grounding, cache, chunking, batch, review page, evals — works unchanged. Milliseconds per
article, deterministic, and nothing it returns is absent from the text.
"""

from __future__ import annotations

from pydantic import BaseModel

from service.arabic.analysis import analyze
from service.arabic.drafting import to_draft
from service.arabic.lexicon import load
from service.providers.base import Completion, ProviderIdentity


class RulesProvider:
    serial = False  # pure CPU, no shared state
    whole_article = True  # linear in the text: no chunking needed

    def __init__(self) -> None:
        self.identity = ProviderIdentity(name="rules", model=f"khabar-rules-{load().version}")

    def ready(self) -> tuple[bool, str]:
        return True, f"lexicons {load().version} loaded"

    def draft_for(self, text: str) -> Completion:
        return Completion(value=to_draft(analyze(text)), model=self.identity.model)

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        # Rules read the article itself (``draft_for``), never a prompt; the extractor calls
        # ``draft_for`` whenever a provider has one.
        raise TypeError("the rules provider reads articles through draft_for(), not prompts")
