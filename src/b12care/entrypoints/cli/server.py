"""``b12care serve`` (the REST API under uvicorn) and ``b12care user add|grant`` (staff accounts: a role is
held per clinic, docs/adr/0006-clinic-roles.md)."""

from __future__ import annotations

import functools
import secrets
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, ParamSpec, Protocol

import typer

from b12care.domain.errors import ConfigurationError, InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard, login_name

if TYPE_CHECKING:  # settings, the database and uvicorn load when a command runs
    from rich.console import Console

    from b12care.bootstrap import App
    from b12care.config import Settings

__all__ = ["ASGI_FACTORY", "register"]

ASGI_FACTORY = "b12care.entrypoints.api.asgi:create_from_environment"
P = ParamSpec("P")


def _settings() -> Settings:
    """Settings from the environment; a bad variable is one line naming it."""
    from pydantic import ValidationError

    from b12care.config import Settings

    try:
        return Settings()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        name = "B12CARE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise InputError(name, first["msg"]) from None


class _Guarded(Protocol):
    """A command wrapped so that its errors are one line and exit 2."""

    def __call__(self, func: Callable[P, None], /) -> Callable[P, None]: ...


def _guarded_by(console: ConsoleFor, guard: Guard) -> _Guarded:
    """Run a command inside ``guard``; a configuration error is reported as input naming the variable."""

    def guarded(func: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
            with guard(console(True)):
                try:
                    func(*args, **kwargs)
                except ConfigurationError as error:
                    field, _, message = str(error).partition(": ")
                    raise InputError(field, message) from None

        return wrapper

    return guarded


def _serve_settings(workers: int) -> Settings:
    """The settings to serve with, checked: the CDS issuers file loads, SQLite has one worker."""
    settings = _settings()
    if settings.cds_issuers_file is not None:  # loaded here so a broken file stops the start, not calls
        from b12care.adapters.cds.settings import load_cds_settings

        load_cds_settings(settings.cds_issuers_file, settings.public_url)
    url = settings.resolved_database_url()
    if workers > 1 and url.startswith("sqlite"):
        raise InputError(
            "workers",
            "the embedded SQLite database is served by one worker process; set "
            "B12CARE_DATABASE_URL=postgresql+psycopg://... to run several",
        )
    return settings


def _prepare_demo(booted: App, secret: str, out: Console, *, host: str, port: int, count: int) -> None:
    """Create the demo clinic once and print where to go and the demo login."""
    from b12care.application.accounts import Accounts
    from b12care.application.demo import ensure_demo
    from b12care.application.treatment import Services

    out.print("Preparing the demo clinic (synthetic patients) ...")
    login = ensure_demo(
        Services(booted.uow, booted.clock),
        Accounts(booted.uow, booted.clock, secret=secret),
        as_of=booted.clock().date(),
        count=count,
        password=secrets.token_urlsafe(12),
    )
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    out.print(f"b12care is starting at http://{shown}:{port}/  (API docs: /docs)")
    out.print(f"Demo login: {' or '.join(login.usernames)}  password: {login.password}")
    out.print("Stop with Ctrl+C.")


def _add_serve(app: typer.Typer, console: ConsoleFor, guarded: _Guarded) -> None:
    """Register ``serve`` on ``app``."""

    @app.command()
    @guarded
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
        workers: Annotated[
            int, typer.Option(min=1, max=64, help="Worker processes (PostgreSQL only for more than 1).")
        ] = 1,
        demo: Annotated[
            bool,
            typer.Option(
                help="Load the demo clinic (created once) and print a demo login: to try b12care out."
            ),
        ] = False,
        demo_patients: Annotated[int, typer.Option(min=1, max=10000, help="Demo clinic size.")] = 300,
    ) -> None:
        """Serve the web app and the REST API (OpenAPI docs at /docs) with uvicorn."""
        from b12care.bootstrap import bootstrap

        settings = _serve_settings(workers)
        # Migrate and check the signing key once, here, so a bad set-up is one line, not N tracebacks.
        with bootstrap(settings) as booted:
            secret = settings.resolved_secret_key(booted.database_url)
            if demo:
                _prepare_demo(booted, secret, console(False), host=host, port=port, count=demo_patients)
        # No access log: request paths carry patient ids and share-link tokens (no patient data in logs).
        import uvicorn

        uvicorn.run(
            ASGI_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=False,
        )


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``serve`` and ``user add|grant`` on ``app``; ``guard`` makes errors one line and exit 2."""
    user = typer.Typer(help="Staff accounts of the REST API.", no_args_is_help=True)
    app.add_typer(user, name="user")
    guarded = _guarded_by(console, guard)
    _add_serve(app, console, guarded)
    _add_user_commands(user, console, guarded)


def _add_user_commands(user: typer.Typer, console: ConsoleFor, guarded: _Guarded) -> None:
    """Register ``user add`` and ``user grant`` on the ``user`` group."""

    @user.command("add")
    @guarded
    def user_add(
        username: Annotated[str, typer.Argument(help="Login name (lower-case letters, digits, . _ @ -).")],
        role: Annotated[
            str, typer.Option(help="admin, clinician, nurse or viewer: the role in each clinic.")
        ],
        clinic: Annotated[list[str], typer.Option(help="Clinic id the user works in (repeat for more).")],
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from standard input.")
        ] = False,
        actor: Annotated[str, typer.Option(help="Who is adding (default: the login name).")] = "",
    ) -> None:
        """Add a staff account (e.g. the first admin); prompts for the password unless --password-stdin."""
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        from b12care.bootstrap import bootstrap

        with bootstrap(_settings()) as booted:
            # Adding a user signs nothing: no key is needed (PostgreSQL may not have one configured yet).
            from b12care.application.accounts import Accounts

            accounts = Accounts(booted.uow, booted.clock, secret="")
            added = accounts.add_user(username, password, role, clinic, actor or login_name())
        console(False).print(added.id)

    @user.command("grant")
    @guarded
    def user_grant(
        username: Annotated[str, typer.Argument(help="Login name of an existing user.")],
        clinic: Annotated[str, typer.Option(help="Clinic id: a new membership, or one whose role changes.")],
        role: Annotated[
            str, typer.Option(help="admin, clinician, nurse or viewer: the role in that clinic.")
        ],
        actor: Annotated[str, typer.Option(help="Who is granting (default: the login name).")] = "",
    ) -> None:
        """Give a user a role in a clinic (roles are per clinic); their other memberships are kept."""
        from b12care.bootstrap import bootstrap

        with bootstrap(_settings()) as booted:
            from b12care.application.accounts import Accounts

            accounts = Accounts(booted.uow, booted.clock, secret="")
            granted = accounts.grant(username, clinic, role, actor or login_name())
        console(False).print(", ".join(f"{m.clinic_id}:{m.role}" for m in granted.memberships))
