"""Ports of the two feeds b12care serves other software: CDS Hooks rows and calendar feed state.

The stores are attributes of the unit of work (:class:`~b12care.application.ports.UnitOfWork`): a use
case reads and writes them in the same transaction as the treatment record. ``CalendarRenderer`` is the
one capability the calendar use case asks of an adapter (RFC 5545 text); it is injected, never imported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from b12care.application.treatment import PatientView
    from b12care.domain.history import History
    from b12care.domain.knowledge import Pack

__all__ = [
    "CalendarEventState",
    "CalendarRenderer",
    "CalendarStateRepository",
    "CdsFeedbackRepository",
    "CdsReplayRepository",
    "EhrLinkRepository",
    "Feedback",
]


@dataclass(frozen=True, slots=True)
class Feedback:
    """One feedback entry as the EHR sent it (CDS Hooks 2.0 feedback endpoint)."""

    service_id: str
    card_uuid: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_display: str | None
    user_comment: str | None
    outcome_at: dt.datetime


class CdsReplayRepository(Protocol):
    """JWT ids already seen, per issuer (replay protection). The adapter may commit this write with
    relaxed durability (an id matters only until its token expires, minutes)."""

    def remember(
        self,
        issuer: str,
        jti: str,
        *,
        expires_at: dt.datetime,
        seen_at: dt.datetime,
        forget_expired_before: dt.datetime | None = None,
    ) -> bool:
        """Record a token id; False when this issuer already used it (then roll the unit of work back).

        With ``forget_expired_before``, ids of tokens that expired before it may be deleted in the same
        transaction (at most once per ``PRUNE_EVERY`` of ``seen_at``'s clock per process).
        """
        ...


class CdsFeedbackRepository(Protocol):
    """Feedback EHRs send about cards, kept as received."""

    def add(self, entry: Feedback, *, issuer: str, actor: str, at: dt.datetime) -> str:
        """Store one entry with its audit entry; return its id."""
        ...

    def for_card(self, card_uuid: str) -> list[Feedback]:
        """Every entry about one card, in the order received."""
        ...


class EhrLinkRepository(Protocol):
    """EHR patient -> b12care patient: an EHR patient id or identifier is a patient's ``reference``."""

    def find_patient(self, clinic_id: str, references: Sequence[str]) -> str | None:
        """The id of the clinic's patient whose ``reference`` is the first of ``references`` found
        (patients marked entered-in-error left out)."""
        ...


class CalendarEventState(Protocol):
    """What a patient's feed last said about one event (the renderer's own state type satisfies it)."""

    @property
    def date(self) -> dt.date: ...

    @property
    def summary(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def sequence(self) -> int: ...

    @property
    def status(self) -> str: ...

    @property
    def created_at(self) -> dt.datetime: ...

    @property
    def changed_at(self) -> dt.datetime: ...


class CalendarStateRepository(Protocol):
    """Each patient's calendar event state (rows updated, never deleted)."""

    def lock(self, patient_id: str) -> None:
        """Hold the patient against other feed exports until the unit of work ends;
        InputError when there is no such patient."""
        ...

    def load(self, patient_id: str) -> dict[str, CalendarEventState]:
        """Every event the patient's feed has ever sent, by key."""
        ...

    def save(
        self,
        patient_id: str,
        before: Mapping[str, CalendarEventState],
        after: Mapping[str, CalendarEventState],
        *,
        actor: str,
        at: dt.datetime,
    ) -> int:
        """Store the events that are new or changed (none is deleted); audit them; return how many."""
        ...


class CalendarRenderer(Protocol):
    """The patient's feed as RFC 5545 text, and the event state it now says."""

    def __call__(
        self,
        view: PatientView,
        history: History,
        pack: Pack,
        *,
        public_url: str | None,
        now: dt.datetime,
        sequence_state: Mapping[str, CalendarEventState],
    ) -> tuple[bytes, Mapping[str, CalendarEventState]]: ...
