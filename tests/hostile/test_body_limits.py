"""Oversized bodies are refused with 413 and deeply nested JSON with 422 (problem JSON naming ``body``) on
an API route, a CDS Hooks route and a web form - before any route reads them - while normal requests
still work; over a real socket, a declared Content-Length is refused before the body is sent and a
chunked body as soon as it passes the limit."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from hostile_helpers import CdsCall, json_values, load_request
from hypothesis import given, settings
from hypothesis import strategies as st

from app_helpers import PUBLIC_URL, SECRET, TestClient, World
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app
from b12care.entrypoints.api.limits import BodyLimits, json_depth

DEFAULTS = Settings()
TOO_BIG = DEFAULTS.max_body_bytes + 1
TOO_DEEP = DEFAULTS.max_json_depth + 1
PROBLEM = "application/problem+json"


def nested(depth: int) -> bytes:
    """A JSON array ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the limits act before any route, whatever the database."""
    return f"sqlite:///{tmp_path / 'limits' / 'b12care.db'}"


def _refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["field"] == "body"
    return body


def test_an_oversized_body_to_an_api_route_is_refused_with_413(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/clinics",
        content=b" " * TOO_BIG,
        headers=world.auth("admin.a") | {"Content-Type": "application/json"},
    )

    body = _refused(response, 413)
    assert str(DEFAULTS.max_body_bytes) in body["detail"]


def test_an_oversized_body_to_a_cds_route_is_refused_with_413(call: CdsCall) -> None:
    _refused(call("/cds-services/b12care-patient-view", b"{" + b" " * TOO_BIG + b"}"), 413)


def test_an_oversized_web_form_is_refused_with_413(
    client: TestClient, web_form: tuple[str, dict[str, str]]
) -> None:
    path, fields = web_form

    response = client.post(path, data=fields | {"lot": "x" * TOO_BIG}, follow_redirects=False)

    _refused(response, 413)


def test_deeply_nested_json_to_an_api_route_is_refused_with_422_naming_body(
    client: TestClient, world: World
) -> None:
    case = json.dumps({"clinic_id": world.clinic_a, "reference": "H1", "name": "A", "case": {}}).encode()
    body = case[:-1] + b', "x": ' + nested(TOO_DEEP) + b"}"

    response = client.post(
        "/api/v1/patients",
        content=body,
        headers=world.auth("clinician.a") | {"Content-Type": "application/json"},
    )

    problem = _refused(response, 422)
    assert f"at most {DEFAULTS.max_json_depth}" in problem["detail"]


@pytest.mark.parametrize("depth", [TOO_DEEP, 100_000])
def test_deeply_nested_json_to_a_cds_route_is_refused_with_422_whatever_its_content_type(
    cds_client: TestClient, depth: int
) -> None:
    # The CDS routes parse their body as JSON whatever the header says: it is checked all the same.
    response = cds_client.post(
        "/cds-services/b12care-order-sign", content=nested(depth), headers={"Content-Type": "text/plain"}
    )

    _refused(response, 422)


def test_deeply_nested_json_posted_to_a_web_form_is_refused_with_422(
    client: TestClient, web_form: tuple[str, dict[str, str]]
) -> None:
    path, _ = web_form

    response = client.post(path, content=nested(100_000), headers={"Content-Type": "application/json"})

    _refused(response, 422)


def test_brackets_in_a_web_form_field_are_text_not_nesting(
    client: TestClient, web_form: tuple[str, dict[str, str]]
) -> None:
    path, fields = web_form
    body = urlencode(fields) + "&lot=" + "[" * 90  # raw brackets (more than the depth limit), as typed

    response = client.post(
        path,
        content=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )

    assert response.status_code == 303, response.text


def test_requests_within_the_limits_still_work(
    client: TestClient, world: World, web_form: tuple[str, dict[str, str]], call: CdsCall
) -> None:
    path, fields = web_form
    clinic = client.post("/api/v1/clinics", json={"name": "[" * 60}, headers=world.auth("admin.a"))
    form = client.post(path, data=fields, follow_redirects=False)
    hook = call("/cds-services/b12care-patient-view", load_request("patient-view-overdue.request.json"))

    assert clinic.status_code == 201, clinic.text
    assert clinic.json()["name"] == "[" * 60  # brackets inside a string are not nesting
    assert form.status_code == 303
    assert hook.status_code == 200 and hook.json()["cards"]


def test_the_limits_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B12CARE_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("B12CARE_MAX_JSON_DEPTH", "8")
    settings_ = Settings(database_url=f"sqlite:///{tmp_path / 'small.db'}", secret_key=SECRET)
    with bootstrap(settings_) as app, TestClient(create_app(app)) as client:
        big = client.post("/api/v1/clinics", content=b"x" * 2049)
        deep = client.post("/api/v1/clinics", content=nested(9))
        fits = client.post("/api/v1/clinics", content=nested(8))

    assert (big.status_code, deep.status_code) == (413, 422)
    assert fits.status_code == 401  # through the limits, to the route's authentication


# --- the middleware itself, over ASGI and over a real socket ---------------------------------------


def _run(middleware: BodyLimits, messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]) -> Any:
    """Drive ``middleware`` with the request ``messages``; what it read, sent and passed on."""
    read: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        message = messages[len(read)] if len(read) < len(messages) else {"type": "http.disconnect"}
        read.append(message)
        return message

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(middleware(scope, receive, send))  # type: ignore[arg-type]
    return read, sent


class _App:
    """An ASGI app that records the body it was given and answers 204."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit_and_read_no_further() -> None:
    app = _App()
    chunks = [{"type": "http.request", "body": b"x" * 100, "more_body": True} for _ in range(1000)]

    read, sent = _run(BodyLimits(app, max_body_bytes=1000, max_json_depth=8), chunks, [])

    assert len(read) == 11  # 1,100 bytes: one chunk past the limit, not the 100,000 offered
    assert sent[0]["status"] == 413
    assert app.bodies == []


def test_a_body_within_the_limits_reaches_the_app_unchanged_whatever_its_chunks() -> None:
    app = _App()
    text = json.dumps({"a": [1, {"b": "[[[[[[[[[["}]}).encode()
    chunks = [
        {"type": "http.request", "body": text[i : i + 3], "more_body": True} for i in range(0, len(text), 3)
    ]
    chunks.append({"type": "http.request", "body": b"", "more_body": False})

    _, sent = _run(BodyLimits(app, max_body_bytes=1000, max_json_depth=8), chunks, [])

    assert sent[0]["status"] == 204
    assert app.bodies == [text]


def test_a_client_that_leaves_mid_body_gets_no_answer_and_the_app_no_call() -> None:
    app = _App()
    messages = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]

    _, sent = _run(BodyLimits(app, max_body_bytes=1000, max_json_depth=8), messages, [])

    assert sent == []
    assert app.bodies == []


@pytest.mark.parametrize("length", [b"lots", b"-1", b"1e9"])
def test_a_content_length_that_is_not_a_number_is_a_400(length: bytes) -> None:
    _, sent = _run(
        BodyLimits(_App(), max_body_bytes=1000, max_json_depth=8), [], [(b"content-length", length)]
    )

    assert sent[0]["status"] == 400


@settings(max_examples=300, deadline=None)
@given(value=json_values(max_leaves=40), indent=st.sampled_from([None, 0, 2]), ascii_only=st.booleans())
def test_json_depth_is_the_nesting_of_any_json_text(value: Any, indent: int | None, ascii_only: bool) -> None:
    def depth(item: Any) -> int:
        children = list(item.values()) if isinstance(item, dict) else item if isinstance(item, list) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)

    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()

    assert json_depth(text) == depth(value)


@settings(max_examples=300, deadline=None)
@given(junk=st.binary(max_size=60))
def test_json_depth_never_understates_what_a_parser_reaches(junk: bytes) -> None:
    try:
        parsed = json.loads(junk)
    except ValueError:
        return
    text = json.dumps(parsed).encode()
    assert json_depth(junk) >= json_depth(text)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """The app under uvicorn on a loopback socket (limit 64 KiB), in a thread; (host, port)."""
    settings_ = Settings(
        database_url=f"sqlite:///{tmp_path / 'served.db'}",
        secret_key=SECRET,
        public_url=PUBLIC_URL,
        max_body_bytes=65_536,
    )
    with bootstrap(settings_) as app:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(create_app(app), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if server.started:
                    break
                threading.Event().wait(0.05)
            assert server.started, "uvicorn did not start"
            yield sock.getsockname()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            sock.close()


def _exchange(address: tuple[str, int], head: bytes, body: bytes) -> bytes:
    """Send ``head`` and ``body`` (without ending a chunked body) and read the answer's status line."""
    with socket.create_connection(address, timeout=10) as connection:
        connection.sendall(head + body)
        return connection.recv(4096).split(b"\r\n", 1)[0]


def test_over_a_socket_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    served: tuple[str, int],
) -> None:
    head = (
        b"POST /api/v1/clinics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000000000\r\n\r\n"
    )

    assert _exchange(served, head, b"").startswith(b"HTTP/1.1 413 ")


def test_over_a_socket_a_chunked_body_is_refused_once_past_the_limit_without_its_end(
    served: tuple[str, int],
) -> None:
    head = (
        b"POST /api/v1/clinics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (16_384, b" " * 16_384)

    assert _exchange(served, head, chunk * 5).startswith(b"HTTP/1.1 413 ")
