"""The EHR's data for one hook call: prefetch first, else the EHR's FHIR server, else 412.

Three prefetch keys (see ``PREFETCH``): the Patient, its B12-related Observations (the LOINC codes of
terminology.yaml, FACTS.md 6) and its MedicationAdministrations. A key the EHR did not prefetch (absent
or null) is read from ``fhirServer`` with ``fhirAuthorization.access_token``; when there is no server, or
it does not answer, :class:`DataUnavailableError` is raised (the API answers 412, as CDS Hooks 2.0 asks).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from b12care.domain.errors import DataUnavailableError
from b12care.knowledge.terminology import load_terminology

__all__ = ["PREFETCH", "EhrData", "gather_ehr_data", "prefetch_templates"]

_MAX_PAGES = 10
_log = logging.getLogger("b12care.cds")
_TOKEN = re.compile(r"\{\{\s*context\.([A-Za-z0-9_]+)\s*\}\}")


def prefetch_templates() -> dict[str, str]:
    """The prefetch templates every b12care service declares in discovery."""
    terms = load_terminology()
    codes = ",".join(f"{terms.systems.loinc}|{lab.loinc}" for lab in terms.labs)
    return {
        "patient": "Patient/{{context.patientId}}",
        "labs": "Observation?patient={{context.patientId}}&code=" + codes,
        "doses": "MedicationAdministration?patient={{context.patientId}}",
    }


PREFETCH = ("patient", "labs", "doses")


@dataclass(frozen=True, slots=True)
class EhrData:
    """What the EHR holds about the patient, as FHIR JSON."""

    patient: Mapping[str, Any]
    observations: tuple[Mapping[str, Any], ...]
    administrations: tuple[Mapping[str, Any], ...]
    fetched: tuple[str, ...] = ()


def _render(template: str, context: Mapping[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        found = context.get(match.group(1))
        return str(found) if found is not None else match.group(0)

    return _TOKEN.sub(value, template)


def _of_type(bundle_or_resource: object, resource_type: str) -> list[Mapping[str, Any]]:
    if not isinstance(bundle_or_resource, Mapping):
        return []
    if bundle_or_resource.get("resourceType") == resource_type:
        return [bundle_or_resource]
    if bundle_or_resource.get("resourceType") != "Bundle":
        return []
    found = []
    for entry in bundle_or_resource.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(resource, Mapping) and resource.get("resourceType") == resource_type:
            found.append(resource)
    return found


class _Fhir:
    def __init__(self, client: httpx.Client, base: str, token: str | None, timeout: float) -> None:
        self._client = client
        self._base = base.rstrip("/")
        self._headers = {"Accept": "application/fhir+json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._timeout = timeout

    def get(self, url: str) -> Any:
        target = url if url.startswith(("http://", "https://")) else f"{self._base}/{url.lstrip('/')}"
        response = self._client.get(target, headers=self._headers, timeout=self._timeout)
        response.raise_for_status()
        return response.json()

    def search(self, query: str, resource_type: str) -> list[Mapping[str, Any]]:
        found: list[Mapping[str, Any]] = []
        page: Any = self.get(query)
        for _ in range(_MAX_PAGES):
            found += _of_type(page, resource_type)
            links = page.get("link") if isinstance(page, Mapping) else None
            following = [
                link.get("url")
                for link in links or []
                if isinstance(link, Mapping) and link.get("relation") == "next"
            ]
            if not following or not isinstance(following[0], str):
                break
            page = self.get(following[0])
        return found


def _host(url: str) -> str:
    """The scheme, host and port of a URL (its path and query may name a patient)."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "an unusable URL"
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _describe(error: BaseException) -> str:
    """The error without what the server sent: the status of an HTTP answer, else the error's type and,
    for a transport error, the operating system's reason (e.g. connection refused)."""
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.TransportError):
        return f"{type(error).__name__}: {error}"
    return type(error).__name__


def gather_ehr_data(
    prefetch: Mapping[str, Any] | None,
    context: Mapping[str, Any],
    *,
    fhir_server: str | None,
    access_token: str | None,
    client: httpx.Client,
    timeout: float = 10.0,
) -> EhrData:
    """The Patient, Observations and MedicationAdministrations from prefetch, else from ``fhir_server``."""
    given = dict(prefetch or {})
    missing = [key for key in PREFETCH if given.get(key) is None]
    fetched: list[str] = []
    if missing:
        if not fhir_server:
            raise DataUnavailableError(missing, "not prefetched and the request has no fhirServer")
        fhir = _Fhir(client, fhir_server, access_token, timeout)
        templates = prefetch_templates()
        kinds = {"patient": "Patient", "labs": "Observation", "doses": "MedicationAdministration"}
        for key in missing:
            query = _render(templates[key], context)
            try:
                given[key] = (
                    fhir.get(query)
                    if key == "patient"
                    else {
                        "resourceType": "Bundle",
                        "entry": [{"resource": r} for r in fhir.search(query, kinds[key])],
                    }
                )
            except (httpx.HTTPError, httpx.InvalidURL, ValueError, RecursionError) as error:
                # RecursionError: JSON nested too deeply; ValueError: not JSON (or not text)
                _log.warning(
                    "CDS Hooks: the EHR's FHIR server at %s did not answer a %s read: %s",
                    _host(fhir_server),
                    kinds[key],
                    _describe(error),
                )
                raise DataUnavailableError([key], "the EHR's FHIR server did not answer") from None
            fetched.append(key)
    patients = _of_type(given["patient"], "Patient")
    if not patients:
        raise DataUnavailableError(["patient"], "no Patient resource")
    return EhrData(
        patients[0],
        tuple(_of_type(given["labs"], "Observation")),
        tuple(_of_type(given["doses"], "MedicationAdministration")),
        tuple(fetched),
    )
