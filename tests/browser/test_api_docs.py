"""The interactive API documentation renders from this server's own files under the strict page policy."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, Request, expect


def test_the_api_docs_render_from_vendored_files_with_no_outside_request_or_policy_error(page: Page) -> None:
    errors: list[str] = []
    requested: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} {message.location}")

    def on_request(request: Request) -> None:
        requested.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)

    response = page.goto("/docs")

    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.get_by_text("/api/v1/patients/{patient_id}/doses").first).to_be_visible()
    base = page.url.split("/docs")[0]
    assert [url for url in requested if not url.startswith(base)] == []
    assert errors == []
