"""Feedback on cards (CDS Hooks 2.0 feedback endpoint): the body an EHR sends, validated to what can be
stored - each text no longer than its column (``tables_cds.py``) and free of control characters, which
PostgreSQL would refuse (NUL) or a terminal would run (security probe L5: these were 500s, now 400s
naming the field); comments and displays keep tabs and line breaks.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from b12care.adapters.cds.store import Feedback
from b12care.domain.errors import InputError

__all__ = ["parse_feedback", "validation_input_error"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


# Texts as their columns hold them (cds_feedback in tables_cds.py: system 500, code 100, actor 200).
_ONE_LINE = r"^[^\x00-\x1f\x7f]*$"  # no control characters
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # tab and line breaks allowed
_Line = Annotated[str, StringConstraints(max_length=200, pattern=_ONE_LINE)]
_System = Annotated[str, StringConstraints(max_length=500, pattern=_ONE_LINE)]
_Code = Annotated[str, StringConstraints(max_length=100, pattern=_ONE_LINE)]
_Display = Annotated[str, StringConstraints(max_length=1000, pattern=_TEXT)]
_Comment = Annotated[str, StringConstraints(max_length=10_000, pattern=_TEXT)]


class _Coding(_Model):
    system: _System | None = None
    code: _Code | None = None
    display: _Display | None = None


class _OverrideReason(_Model):
    reason: _Coding | None = None
    userComment: _Comment | None = None  # noqa: N815


class _Accepted(_Model):
    id: _Line


class _FeedbackItem(_Model):
    card: str = Field(min_length=1, max_length=45, pattern=_ONE_LINE)  # a UUID, maybe after urn:uuid:
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[_Accepted] = []  # noqa: N815
    overrideReason: _OverrideReason | None = None  # noqa: N815
    outcomeTimestamp: dt.datetime  # noqa: N815

    @field_validator("card")
    @classmethod
    def _card_id(cls, value: str) -> str:
        if len(value.removeprefix("urn:uuid:")) > 36:
            raise ValueError("is not a card id (a UUID)")
        return value

    @field_validator("outcomeTimestamp")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("needs a time zone")
        try:
            return value.astimezone(dt.UTC)
        except OverflowError:
            raise ValueError("is out of range") from None


class _FeedbackRequest(_Model):
    feedback: list[_FeedbackItem] = Field(min_length=1)


def validation_input_error(error: ValidationError) -> InputError:
    """The first problem of a pydantic ValidationError as an InputError naming its field."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return InputError(where, first["msg"])


def parse_feedback(body: object, service_id: str) -> list[Feedback]:
    """The feedback body as Feedback entries; InputError names the bad field."""
    try:
        parsed = _FeedbackRequest.model_validate(body)
    except ValidationError as error:
        raise validation_input_error(error) from None
    entries = []
    for item in parsed.feedback:
        reason = item.overrideReason.reason if item.overrideReason else None
        entries.append(
            Feedback(
                service_id=service_id,
                card_uuid=item.card.removeprefix("urn:uuid:"),
                outcome=item.outcome,
                accepted_suggestions=tuple(s.id for s in item.acceptedSuggestions),
                override_system=reason.system if reason else None,
                override_code=reason.code if reason else None,
                override_display=reason.display if reason else None,
                user_comment=item.overrideReason.userComment if item.overrideReason else None,
                outcome_at=item.outcomeTimestamp,
            )
        )
    return entries
