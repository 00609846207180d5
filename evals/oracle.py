"""The oracle check: what the pipeline keeps of a perfect model's answer.

Every gold file becomes the draft a perfect model would write (names as written, verbatim
texts, no ids or offsets), and that draft goes through the whole path a real answer takes —
draft validation, the prompt-echo screen, the resolver, grounding, chunking for long articles.
Scored against the same gold, anything below 1.00 is something the pipeline loses.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.draft import Draft
from service.providers.base import Completion, ProviderIdentity


def gold_to_draft(gold: dict[str, Any]) -> Draft:
    names = {e["id"]: e["name"] for e in gold["entities"]}
    return Draft.model_validate({
        "entities": [{k: e.get(k) for k in ("name", "type", "name_en", "title", "country")}
                     | {"aliases": e.get("aliases", [])} for e in gold["entities"]],
        "events": [{
            "evidence": v["evidence"]["text"], "type": v["type"], "mode": v["mode"],
            "summary_en": v["summary_en"] or "-",
            "participants": [{"name": names[p["entity"]], "role": p["role"]}
                             for p in v["participants"]],
            "date": (v.get("date") or {}).get("text"),
            "location": (v.get("location") or {}).get("text"),
            "location_en": (v.get("location") or {}).get("name_en"),
            "status": v["status"]} for v in gold["events"]],
        "quotes": [{"speaker": names[q["speaker"]], "cue": q["cue"], "kind": q["kind"],
                    "text": q["text"]} for q in gold["quotes"]],
        "positions": [{"holder": names[p["holder"]], "stance": p["stance"],
                       "topic_en": p["topic_en"] or "-",
                       "target": names.get(p.get("target") or ""),
                       "evidence": p["evidence"]["text"]} for p in gold["positions"]],
    })


class OracleProvider:
    """Answers every article with its gold draft, as a perfect remote model would."""

    serial = False

    def __init__(self, golds: dict[str, dict[str, Any]]):
        # Keyed by the article text: the extractor hands providers text, not ids.
        self._drafts = {text: gold_to_draft(gold) for text, gold in golds.items()}
        self._by_chunk: dict[str, Draft] = {}
        self.identity = ProviderIdentity(name="oracle", model="gold")

    def ready(self) -> tuple[bool, str]:
        return True, "answering with gold"

    def draft_for(self, text: str) -> Completion:
        draft = self._drafts.get(text)
        if draft is None:  # a chunk of a long article: the gold records whose texts it holds
            draft = self._chunk(text)
        return Completion(value=draft, model="gold")

    def _chunk(self, text: str) -> Draft:
        for full, draft in self._drafts.items():
            if text in full:
                return Draft.model_construct(
                    entities=draft.entities,
                    events=[v for v in draft.events if v.evidence in text],
                    quotes=[q for q in draft.quotes if q.text in text],
                    positions=[p for p in draft.positions if p.evidence in text])
        return Draft()

    def complete(self, messages: list[dict[str, str]], response_model: type[BaseModel]
                 ) -> Completion:
        raise TypeError("the oracle answers articles through draft_for(), not prompts")
