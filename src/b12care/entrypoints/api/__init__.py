"""The REST API (FastAPI): ``create_app(app)`` over a bootstrapped :class:`~b12care.bootstrap.App`."""

from b12care.entrypoints.api.app import create_app

__all__ = ["create_app"]
