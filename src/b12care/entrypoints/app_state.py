"""The use cases an app was built with, read from its state: shared by the API's deps and the web pages."""

from __future__ import annotations

from fastapi import Request

from b12care.application.accounts import Accounts
from b12care.application.treatment import Services

__all__ = ["accounts_of", "services_of"]


def services_of(request: Request) -> Services:
    """The treatment-record use cases of this app."""
    found: Services = request.app.state.services
    return found


def accounts_of(request: Request) -> Accounts:
    """The account use cases of this app."""
    found: Accounts = request.app.state.accounts
    return found
