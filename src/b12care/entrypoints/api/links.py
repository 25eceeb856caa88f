"""OpenAPI links: which operations a response's ids lead to (OpenAPI 3 ``links`` on the responses).

They document how the resources chain - a new patient -> its doses, labs, symptom checks, reviews,
forecast, history, plans, FHIR export, calendar and share links; a recorded entry -> marking it
entered-in-error, and the forecast and history it changed - and they let schemathesis' stateful tests
(tests/hostile) follow the chains with real ids. ``install_openapi_links(api)`` adds them to the schema
FastAPI builds (``/openapi.json``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

__all__ = ["LINKS", "install_openapi_links"]

_PATIENT = "/api/v1/patients/{patient_id}"
_ENTRY_ROUTES = {  # the route recording an entry, and the entry's kind in the entered-in-error route
    f"{_PATIENT}/doses": "dose",
    f"{_PATIENT}/labs": "lab",
    f"{_PATIENT}/symptom-checks": "symptoms",
    f"{_PATIENT}/reviews": "review",
}
_MARK = ("post", "/api/v1/entries/{kind}/{entry_id}/entered-in-error")
_OF_PATIENT = [
    ("get", _PATIENT),
    ("get", f"{_PATIENT}/forecast"),
    ("get", f"{_PATIENT}/history"),
    ("get", f"{_PATIENT}/plans"),
    ("post", f"{_PATIENT}/plans"),
    ("get", f"{_PATIENT}/fhir"),
    ("get", f"{_PATIENT}/calendar.ics"),
    ("post", f"{_PATIENT}/share-links"),
    *(("post", route) for route in _ENTRY_ROUTES),
]
_CHANGED = [("get", f"{_PATIENT}/forecast"), ("get", f"{_PATIENT}/history")]

Target = tuple[str, str]
Link = tuple[Target, dict[str, str]]

LINKS: dict[tuple[str, str, str], list[Link]] = {
    ("post", "/api/v1/patients", "201"): [
        (target, {"patient_id": "$response.body#/patient/id"}) for target in _OF_PATIENT
    ],
    ("get", "/api/v1/patients", "200"): [
        (target, {"patient_id": "$response.body#/items/0/id"}) for target in _OF_PATIENT
    ],
    **{
        ("post", route, "201"): [
            (_MARK, {"kind": kind, "entry_id": "$response.body#/id"}),
            *((target, {"patient_id": "$response.body#/patient_id"}) for target in _CHANGED),
        ]
        for route, kind in _ENTRY_ROUTES.items()
    },
    ("post", _MARK[1], "200"): [
        (target, {"patient_id": "$response.body#/patient_id"}) for target in _CHANGED
    ],
}
"""(method, path, status) of a response -> the operations its values lead to, with their parameters
(a runtime expression, or a constant such as the entry kind)."""


def _name(method: str, path: str) -> str:
    words = [w for w in path.removeprefix("/api/v1/").replace("-", "_").split("/") if not w.startswith("{")]
    return "_".join([method, *words]).replace(".", "_")


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Put :data:`LINKS` on the responses of ``schema`` (an OpenAPI document); returns it."""
    paths = schema.get("paths", {})
    for (method, path, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        found = response.setdefault("links", {})
        for (target_method, target_path), parameters in links:
            operation = paths.get(target_path, {}).get(target_method)
            if operation is not None and "operationId" in operation:
                found[_name(target_method, target_path)] = {
                    "operationId": operation["operationId"],
                    "parameters": dict(parameters),
                }
    return schema


def install_openapi_links(api: FastAPI) -> None:
    """Serve ``api``'s OpenAPI document with :data:`LINKS` added (built once, as FastAPI caches it)."""
    build = api.openapi

    def openapi() -> dict[str, Any]:
        fresh = api.openapi_schema is None
        schema = build()
        return add_links(schema) if fresh else schema

    api.openapi = openapi  # type: ignore[method-assign]
