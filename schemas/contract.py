"""The extraction contract (version 1) as pydantic models.

These models are the source of truth in code for ``shared/CONTRACT.md``: ``POST /extract``
returns an :class:`ExtractionResponse`, ``GET /schema`` publishes its JSON Schema, and gold files
under ``evals/`` validate against it.
"""

from __future__ import annotations

import re

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = "1.1"

EntityType = Literal["person", "country", "organization", "location", "other"]
EventType = Literal[
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
    "OTHER",
]
Role = Literal["actor", "counterpart", "host", "attendee", "target"]
Status = Literal["occurred", "planned", "postponed_or_cancelled", "ongoing"]
Grounding = Literal["exact", "fuzzy", "none"]
Stance = Literal["support", "oppose", "neutral", "concern"]
QuoteKind = Literal["direct", "indirect"]

# ISO date, month or year: 2024-07-04, 2024-07, 2024.
ISO_PARTIAL_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Record):
    """Verbatim article text and where it lies.

    ``start``/``end`` are code-point offsets into the request text. For ``exact`` and ``fuzzy``
    grounding ``text`` is the article's own characters at those offsets; for ``none`` the text is
    the model's and both offsets are -1.
    """

    text: str
    start: int = Field(ge=-1)
    end: int = Field(ge=-1)
    grounding: Grounding


class Entity(_Record):
    id: str = Field(pattern=r"^E\d+$")
    type: EntityType
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    name_en: str | None = None
    title: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    # Added in 1.1: where the article names the entity (name, alias, role reference), in
    # order. Empty means the article never names it, which meta.warnings flags.
    mentions: list[Span] = Field(default_factory=list)


class Participant(_Record):
    entity: str = Field(pattern=r"^E\d+$")
    role: Role


class EventDate(_Record):
    text: str
    value: str | None = Field(default=None, pattern=ISO_PARTIAL_DATE)
    end: str | None = Field(default=None, pattern=ISO_PARTIAL_DATE)


class Location(_Record):
    text: str
    name_en: str | None = None


class Event(_Record):
    id: str = Field(pattern=r"^V\d+$")
    type: EventType
    mode: str
    summary_en: str
    participants: list[Participant] = Field(default_factory=list)
    date: EventDate | None = None
    location: Location | None = None
    status: Status
    evidence: Span


class Quote(_Record):
    id: str = Field(pattern=r"^Q\d+$")
    speaker: str = Field(pattern=r"^E\d+$")
    kind: QuoteKind
    cue: str
    text: str
    start: int = Field(ge=-1)
    end: int = Field(ge=-1)
    grounding: Grounding


class Position(_Record):
    id: str = Field(pattern=r"^P\d+$")
    holder: str = Field(pattern=r"^E\d+$")
    stance: Stance
    topic_en: str
    target: str | None = Field(default=None, pattern=r"^E\d+$")
    evidence: Span


class Article(_Record):
    id: str
    title: str | None = None
    published: dt.date | None = None
    source: str | None = None
    language: str = "ar"


class Usage(_Record):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class Meta(_Record):
    provider: str
    model: str
    prompt_version: str
    cached: bool = False
    latency_ms: int = 0
    usage: Usage = Field(default_factory=Usage)
    warnings: list[str] = Field(default_factory=list)


class ExtractionResponse(_Record):
    # 1.1 adds Entity.mentions; documents of 1 (no mentions) still validate.
    schema_version: Literal["1", "1.1"] = SCHEMA_VERSION
    article: Article
    entities: list[Entity] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    positions: list[Position] = Field(default_factory=list)
    meta: Meta

    @model_validator(mode="after")
    def _references_resolve(self) -> ExtractionResponse:
        known = {e.id for e in self.entities}
        if len(known) != len(self.entities):
            raise ValueError("entity ids must be unique")
        for kind, records in (("event", self.events), ("quote", self.quotes),
                              ("position", self.positions)):
            ids = [r.id for r in records]
            if len(set(ids)) != len(ids):
                raise ValueError(f"{kind} ids must be unique")
        refs: list[tuple[str, str]] = []
        refs += [(v.id, p.entity) for v in self.events for p in v.participants]
        refs += [(q.id, q.speaker) for q in self.quotes]
        refs += [(p.id, p.holder) for p in self.positions]
        refs += [(p.id, p.target) for p in self.positions if p.target]
        for owner, ref in refs:
            if ref not in known:
                raise ValueError(f"{owner} refers to unknown entity {ref}")
        return self


class ExtractOptions(BaseModel):
    # Strict: "f" or 1 for a flag is a client's mistake to report, not to guess at.
    model_config = ConfigDict(extra="forbid", strict=True)

    use_cache: bool = True
    strict_grounding: bool = Field(
        default=False, description="Drop quotes, events and positions whose text is not found "
        "in the article instead of returning them with grounding 'none'.")


# Something other than whitespace. Spelled out (Python's str.isspace set) rather than as \\S,
# whose meaning differs between Python and the ECMA-262 regexes JSON Schema clients use.
NOT_BLANK = r"[^\t\n\v\f\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The patterns put in the published schema what the validators below enforce, so that
    # clients (and schema-driven fuzzers) know a blank text or a made-up provider is refused.
    text: str = Field(description="The article, UTF-8. Offsets in the response index this "
                      "exact string. Must contain something other than whitespace.",
                      json_schema_extra={"pattern": NOT_BLANK})
    id: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=2000)
    published: dt.date | None = Field(
        default=None, description="Publication date (YYYY-MM-DD); anchors relative dates.")
    source: str | None = Field(default=None, max_length=2000)
    provider: str | None = Field(
        default=None, max_length=500,
        description="Provider override: 'rules', 'local', 'local:/path/model.gguf', "
        "'openai:MODEL', or 'rules+' before a model ('rules+local').",
        json_schema_extra={"pattern": r"^(rules\+)?(local(:.+)?|openai:.+)$|^rules$"})
    options: ExtractOptions = Field(default_factory=ExtractOptions)

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not re.search(NOT_BLANK, value):
            raise ValueError("text is empty: send the article's text in the 'text' field")
        return value

    @field_validator("published", mode="before")
    @classmethod
    def _iso_date_only(cls, value: Any) -> Any:
        # The schema says "format: date": a calendar date written YYYY-MM-DD, nothing looser
        # (no timestamps, no times, no numbers).
        if value is None or isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("published must be a date written YYYY-MM-DD")
        return value

    @field_validator("text", "id", "title", "source", "provider")
    @classmethod
    def _valid_unicode(cls, value: str | None) -> str | None:
        # JSON may carry lone surrogates ("\ud800") that no UTF-8 text can hold.
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"contains a lone surrogate at character {exc.start}; send "
                                 "valid UTF-8 text") from exc
        return value


class ErrorBody(BaseModel):
    code: str = Field(description="Stable machine-readable reason, e.g. 'provider_timeout'.")
    message: str = Field(description="What went wrong, in words a person can act on.")
    request_id: str = Field(description="Also in the x-request-id header and the logs.")
    detail: list[dict[str, Any]] | None = Field(
        default=None, description="Per-field problems, for 422 validation errors.")


class ErrorResponse(BaseModel):
    """The body of every non-2xx answer."""

    error: ErrorBody
