"""The clinic web app: server-rendered pages (Jinja2, vendored htmx) over the treatment use cases."""

from b12care.entrypoints.web.routes import install_web, router

__all__ = ["install_web", "router"]
