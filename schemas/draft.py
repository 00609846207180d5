"""What a model is asked to fill.

Simpler than the contract: no ids, no offsets, actors named as written. The service turns a
:class:`Draft` into an :class:`~schemas.contract.ExtractionResponse` (see ``service.resolver``).
Length bounds keep grammar-constrained decoding from running on, and give a small model's output
a shape it can finish within ``max_tokens``.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic.json_schema import SkipJsonSchema

from schemas.contract import EntityType, EventType, QuoteKind, Role, Stance, Status


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class _Draft(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


def _kinds(text: int, name: int, actor: int, n_aliases: int, summary: int, n_participants: int,
           n_records: int, n_entities: int) -> tuple[type, ...]:
    """The draft's record classes under one set of bounds.

    Two sets exist: generous bounds that any real article fits (``Draft``: what every provider
    fills and the cache holds), and tight ones for the embedded model (``BoundedDraft``), whose
    grammar-constrained decoding needs short lists and fields to finish within ``max_tokens``.
    """
    Text = Annotated[str, Field(min_length=1, max_length=text)]
    Name = Annotated[str, Field(min_length=1, max_length=name)]
    # Names of people, states and bodies are short; a long "name" is a clause copied by mistake.
    ActorName = Annotated[str, Field(min_length=1, max_length=actor)]
    OptionalName = Annotated[Annotated[str, Field(max_length=name)] | None,
                             BeforeValidator(_blank_to_none)]

    class DraftEntity(_Draft):
        name: ActorName = Field(description="fullest form of the name as written in the article")
        type: EntityType = Field(description="person, country, organization, location or other")
        name_en: OptionalName = Field(default=None, description="usual English name")
        title: OptionalName = Field(default=None, description="role as written in the article")
        country: Annotated[Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None,
                           BeforeValidator(_blank_to_none)] = Field(
                               default=None, description="ISO 3166-1 alpha-2 code")
        aliases: list[ActorName] = Field(default_factory=list, max_length=n_aliases,
                                         description="other forms of the name in the article")
        # Offsets a reader of the article already knows (the rules): where it names the actor.
        # Kept out of the schema models see; the resolver checks every one against the text.
        spans: SkipJsonSchema[list[tuple[int, int]]] = Field(default_factory=list)

    class DraftParticipant(_Draft):
        name: ActorName = Field(description="the actor, named exactly as in entities")
        role: Role = Field(description="actor, counterpart, host, attendee or target")

    class DraftEvent(_Draft):
        evidence: Text = Field(description="the clause reporting the event, copied verbatim")
        type: EventType = Field(description="PLOVER category: CONSULT, AGREE, COOPERATE, AID, ...")
        mode: Name = Field(description="meet, visit, summit, phone_call, sign_agreement, ...")
        summary_en: Annotated[str, Field(min_length=1, max_length=summary)] = Field(
            description="one plain English sentence")
        participants: list[DraftParticipant] = Field(
            default_factory=list, max_length=n_participants,
            description="the actors taking part, each with its role")
        date: OptionalName = Field(default=None, description="the date as written in the article")
        location: OptionalName = Field(default=None,
                                       description="the place as written in the article")
        location_en: OptionalName = Field(default=None, description="English name of the place")
        status: Status = Field(description="occurred, planned, postponed_or_cancelled or ongoing")
        at: SkipJsonSchema[tuple[int, int] | None] = None  # offsets of the evidence, if known

    class DraftQuote(_Draft):
        speaker: ActorName = Field(description="whose words they are, named as in entities")
        cue: Name = Field(description="the reporting verb as written: قال، أكد، أضاف، أعرب")
        kind: QuoteKind = Field(description="direct (in quotation marks or after قال:) or "
                                "indirect (reported speech)")
        text: Text = Field(description="the quoted words, verbatim, without quotation marks")
        at: SkipJsonSchema[tuple[int, int] | None] = None  # offsets of the text, if known

    class DraftPosition(_Draft):
        holder: ActorName = Field(description="who takes the stance, named as in entities")
        stance: Stance = Field(description="support, oppose, neutral or concern")
        topic_en: Name = Field(description="the issue, as a short English noun phrase")
        target: OptionalName = Field(default=None,
                                     description="the actor the stance is toward, if any")
        evidence: Text = Field(description="the clause expressing the stance, copied verbatim")
        at: SkipJsonSchema[tuple[int, int] | None] = None  # offsets of the evidence, if known

    class Draft(_Draft):
        entities: list[DraftEntity] = Field(
            default_factory=list, max_length=n_entities,
            description="every actor named in the article, once each")
        events: list[DraftEvent] = Field(
            default_factory=list, max_length=n_records,
            description="happenings reported, planned or called off, one per distinct happening")
        quotes: list[DraftQuote] = Field(default_factory=list, max_length=n_records,
                                         description="words the article attributes to an actor")
        positions: list[DraftPosition] = Field(
            default_factory=list, max_length=n_records,
            description="stances actors take on issues, one per holder and topic")

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            # instructor asks for the schema on every call, and building it costs more CPU
            # than the rest of a request; it only changes with the class. A copy, as callers
            # edit it.
            try:
                return copy.deepcopy(_json_schema(cls, args, tuple(sorted(kwargs.items()))))
            except TypeError:  # an unhashable argument: build it afresh
                return super().model_json_schema(*args, **kwargs)

    return DraftEntity, DraftParticipant, DraftEvent, DraftQuote, DraftPosition, Draft


# Generous: a long report has dozens of records, and a capable model's answer must pass whole.
(DraftEntity, DraftParticipant, DraftEvent, DraftQuote, DraftPosition, Draft) = _kinds(
    text=20_000, name=1_000, actor=300, n_aliases=200, summary=2_000, n_participants=200,
    n_records=2_000, n_entities=2_000)
# Tight: what the embedded model's grammar can finish.
(BoundedEntity, BoundedParticipant, BoundedEvent, BoundedQuote, BoundedPosition,
 BoundedDraft) = _kinds(text=400, name=80, actor=40, n_aliases=3, summary=200,
                        n_participants=8, n_records=12, n_entities=24)


def field_meanings() -> str:
    """What every field of the draft means, as lines a model can read (from the schema itself)."""
    lines: list[str] = []
    for label, cls in (("answer", Draft), ("entity", DraftEntity), ("event", DraftEvent),
                       ("participant", DraftParticipant), ("quote", DraftQuote),
                       ("position", DraftPosition)):
        lines.append(f"{label}:")
        for name, info in cls.model_fields.items():
            if info.description:
                lines.append(f"- {name}: {info.description}")
    return "\n".join(lines)


def as_draft(value: BaseModel) -> Any:
    """Any draft-shaped answer (a bounded one, one with span choices) as a plain ``Draft``."""
    return value if type(value) is Draft else Draft.model_validate(value.model_dump())


@lru_cache(maxsize=32)
def _json_schema(cls: type[Draft], args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]
                 ) -> dict[str, Any]:
    return BaseModel.model_json_schema.__func__(cls, *args, **dict(kwargs))  # type: ignore[attr-defined]


def draft_with_spans(choices: Sequence[str]) -> type[BaseModel]:
    """A :class:`Draft` whose quote and evidence texts must be one of ``choices``.

    The choices become an ``enum`` in the JSON schema, and so a grammar for constrained
    decoding: a model that cannot copy reliably picks among the article's own stretches.
    """
    if not choices:
        return BoundedDraft
    choice = Literal[tuple(choices)]  # type: ignore[valid-type]
    event = create_model("DraftEvent", __base__=BoundedEvent, evidence=(choice, ...))
    quote = create_model("DraftQuote", __base__=BoundedQuote, text=(choice, ...))
    position = create_model("DraftPosition", __base__=BoundedPosition, evidence=(choice, ...))
    return create_model(  # type: ignore[no-any-return]
        "Draft", __base__=BoundedDraft,
        events=(list[event], Field(default_factory=list, max_length=12)),  # type: ignore[valid-type]
        quotes=(list[quote], Field(default_factory=list, max_length=12)),  # type: ignore[valid-type]
        positions=(list[position], Field(default_factory=list, max_length=12)))  # type: ignore[valid-type]
