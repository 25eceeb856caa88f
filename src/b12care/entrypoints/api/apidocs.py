"""The interactive API documentation at ``/docs``: Swagger UI served from this server's own files.

FastAPI's default page loads Swagger UI from a CDN, which a clinic network may block and which the pages'
Content-Security-Policy would have to allow; this page loads the vendored copy under
``/static/vendor/swagger-ui/`` (version in its ``VERSION`` file) and starts it from ``/static/api-docs.js``
(no inline script), so it carries the same strict policy as every other page.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from b12care.entrypoints.web.templating import SECURITY_HEADERS

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>b12care API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


@router.get("/docs")
def api_docs() -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, from the vendored files."""
    return HTMLResponse(_PAGE, headers=dict(SECURITY_HEADERS))
