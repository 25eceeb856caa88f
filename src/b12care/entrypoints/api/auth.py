"""Login and who-am-I: ``POST /api/v1/auth/token`` (OAuth2 password form) gives a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from b12care.entrypoints.api.deps import AccountsDep, CurrentUser
from b12care.entrypoints.api.problems import problem_responses
from b12care.entrypoints.api.responses import MeOut, TokenOut

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", responses=problem_responses(401, 422, 429), response_model=TokenOut)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, users: AccountsDep
) -> dict[str, Any]:
    """Exchange username and password for a bearer token (failed attempts are rate-limited)."""
    client = request.client.host if request.client else "unknown"
    token = users.login(form.username, form.password, client)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(users.token_lifetime.total_seconds()),
    }


@router.get("/me", responses=problem_responses(401), response_model=MeOut)
def me(user: CurrentUser) -> dict[str, Any]:
    """The user of the token: username, clinics and their role in each."""
    return {
        "username": user.username,
        "clinic_ids": sorted(user.clinic_ids),
        "memberships": [{"clinic_id": c, "role": user.roles[c]} for c in sorted(user.roles)],
    }
