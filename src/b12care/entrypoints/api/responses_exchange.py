"""Response models of the exchange routes: the FHIR import report, FHIR bodies and CDS Hooks 2.0.

FHIR bodies are open objects: their schema is FHIR R4's, not ours (:data:`FhirBundle`). The CDS Hooks
discovery and cards responses follow the CDS Hooks 2.0 shapes (https://cds-hooks.hl7.org/2.0/): a card's
optional members are absent, not ``null``, so the cards are served with ``response_model_exclude_unset``
(only what a card holds is written). Conventions as in ``responses.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

__all__ = [
    "FHIR_BUNDLE_SCHEMA",
    "CdsCardsOut",
    "CdsDiscoveryOut",
    "CdsFeedbackOut",
    "FhirBundle",
    "ImportReportOut",
]

FHIR_BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR R4 Bundle: an open object whose schema is FHIR's (https://hl7.org/fhir/R4/bundle.html).",
    "properties": {"resourceType": {"type": "string", "enum": ["Bundle"]}},
    "required": ["resourceType"],
    "additionalProperties": True,
}
FhirBundle = Annotated[dict[str, Any], WithJsonSchema(FHIR_BUNDLE_SCHEMA)]
"""A FHIR R4 Bundle (``application/fhir+json``), declared as an open object."""


class _Out(BaseModel):
    model_config = ConfigDict(strict=True)


class ImportedEntryOut(_Out):
    """A bundle entry that is (now, or already) in the record."""

    path: str
    resource_type: str = Field(alias="resourceType")
    id: str | None
    patient_id: str
    record_id: str


class ImportConflictOut(_Out):
    """An entry whose source and id are stored with other content: both shown, nothing stored."""

    path: str
    resource_type: str = Field(alias="resourceType")
    id: str | None
    patient_id: str
    record_id: str
    source: str
    key: str
    stored: dict[str, str | None]
    incoming: dict[str, str | None]
    message: str


class ImportIssueOut(_Out):
    """An entry that was not stored, and why (``code``: the unknown code seen, if any)."""

    path: str
    resource_type: str = Field(alias="resourceType")
    id: str | None
    kind: str
    message: str
    code: str | None


class ImportReportOut(_Out):
    """What an import did with every entry of the bundle: nothing is dropped silently."""

    imported: list[ImportedEntryOut]
    duplicates: list[ImportedEntryOut]
    conflicts: list[ImportConflictOut]
    matched_patients: list[ImportedEntryOut]
    issues: list[ImportIssueOut]


class CdsServiceOut(_Out):
    """One CDS service as discovery lists it (CDS Hooks 2.0 "Discovery")."""

    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str] = Field(description="Prefetch templates by key.")


class CdsDiscoveryOut(_Out):
    """The discovery document (``GET /cds-services``)."""

    services: list[CdsServiceOut]


class CodingOut(_Out):
    """A code of a code system."""

    system: str
    code: str
    display: str


class CardSourceOut(_Out):
    """Where a card's advice comes from."""

    label: str
    topic: CodingOut
    url: str | None = None


class ActionOut(_Out):
    """A change a suggestion makes to the EHR's record (``resource``: a FHIR resource, an open object)."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: dict[str, Any] | None = Field(default=None, description="A FHIR R4 resource (FHIR's schema).")
    resource_id: str | None = Field(default=None, alias="resourceId")


class SuggestionOut(_Out):
    """A set of actions the clinician may accept."""

    label: str
    uuid: str
    is_recommended: bool = Field(alias="isRecommended")
    actions: list[ActionOut]


class CardLinkOut(_Out):
    """A link to more (an absolute URL, or a SMART app)."""

    label: str
    url: str
    type: Literal["absolute", "smart"]


class CardOut(_Out):
    """A CDS Hooks 2.0 card: optional members are left out when the card has none."""

    uuid: str
    summary: str = Field(max_length=140)
    indicator: Literal["info", "warning", "critical"]
    detail: str
    source: CardSourceOut
    suggestions: list[SuggestionOut] | None = None
    selection_behavior: str | None = Field(default=None, alias="selectionBehavior")
    override_reasons: list[CodingOut] | None = Field(default=None, alias="overrideReasons")
    links: list[CardLinkOut] | None = None


class CdsCardsOut(_Out):
    """The answer to a hook call: its cards, most urgent first."""

    cards: list[CardOut]


class CdsFeedbackOut(_Out):
    """How many feedback entries were stored."""

    stored: int
