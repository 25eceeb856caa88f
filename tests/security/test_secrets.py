"""Secrets come only from settings: no module but config.py reads the environment, no key, password or
token is written into the code, and the demo clinic's password is new at every start. (The generated
SQLite key file is 0600: tests/api/test_settings_and_cli.py.)"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from b12care.application.accounts import Accounts
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.domain.errors import AuthenticationError

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "b12care"
SETTINGS_MODULE = PACKAGE / "config.py"
_ENVIRONMENT = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
_SECRET_NAME = re.compile(r"secret|passw|token|api_?key|private_?key|credential", re.IGNORECASE)
# Literals under a secret-like name that are not secrets (a new one fails the test until reviewed here).
_NOT_SECRETS = {
    ("SECRET_FILE_NAME", "b12care.secret"),  # the key file's name; the key itself is generated
    ("token_type", "Bearer"),  # OAuth2 / CDS Hooks vocabulary
    ("token_type", "bearer"),
    ("tokenUrl", "/api/v1/auth/token"),  # where the OpenAPI docs send the login form
}
_KEY_SHAPED = re.compile(r"^[A-Za-z0-9+/=_-]{24,}$")  # what token_urlsafe, base64 or an API key look like
_TEXT_SECRETS = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # a PEM private key
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."  # a signed JWT
    r"|AKIA[0-9A-Z]{16}"  # an AWS access key id
)


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def environment_reads(tree: ast.AST) -> list[int]:
    """Lines that read (or change) the process environment: ``os.environ``, ``os.getenv``, ``from os import
    environ`` and the like."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in _ENVIRONMENT:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module in {"os", "posix", "nt"}:
            lines += [node.lineno for alias in node.names if alias.name in _ENVIRONMENT]
    return lines


def _named_literals(tree: ast.AST) -> Iterator[tuple[str, ast.expr]]:
    """(name, value) of assignments, annotated assignments, keyword arguments, defaults and dict entries."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                name = getattr(target, "id", None) or getattr(target, "attr", None)
                if name:
                    yield name, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            name = getattr(node.target, "id", None) or getattr(node.target, "attr", None)
            if name:
                yield name, node.value
        elif isinstance(node, ast.keyword) and node.arg:
            yield node.arg, node.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    yield key.value, value
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            positional = node.args.posonlyargs + node.args.args
            pairs = list(
                zip(positional[len(positional) - len(node.args.defaults) :], node.args.defaults, strict=True)
            )
            pairs += [
                (a, d)
                for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)
                if d is not None
            ]
            yield from ((argument.arg, default) for argument, default in pairs)


def secret_literals(tree: ast.AST) -> list[str]:
    """String literals that look like a secret: under a secret-like name, or shaped like a random key."""
    found = []
    for name, value in _named_literals(tree):
        literal = value.value if isinstance(value, ast.Constant) else None
        if (
            _SECRET_NAME.search(name)
            and isinstance(literal, str)
            and literal
            and (name, literal) not in _NOT_SECRETS
        ):
            found.append(f"line {value.lineno}: {name} = {literal!r}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            key_shaped = _KEY_SHAPED.match(text) and all(
                re.search(c, text) for c in ("[0-9]", "[A-Z]", "[a-z]")
            )
            if key_shaped or _TEXT_SECRETS.search(text):
                found.append(f"line {node.lineno}: {text[:12]}...")
    return found


def test_the_scans_would_see_an_environment_read_and_a_written_secret() -> None:
    sample = ast.parse(
        "import os\nfrom os import getenv\nkey = os.environ['K']\n"
        "SECRET_KEY = 'change-me'\nconnect(password='hunter2hunter2')\n"
        "TOKEN = 'Vq3kz8Xb1t9mR7wYpL2nH5cJ0aF4sD6g'\n"
        "def f(api_key='abc'): ...\n"
    )

    assert environment_reads(sample) == [2, 3]
    assert len(secret_literals(sample)) == 5  # the four names, and the key-shaped value once more


def test_only_the_settings_module_reads_the_environment() -> None:
    readers = {
        str(path.relative_to(PACKAGE)): lines
        for path, tree in _modules()
        if path != SETTINGS_MODULE and (lines := environment_reads(tree))
    }

    assert readers == {}


def test_no_secret_is_written_in_the_code() -> None:
    found = {
        str(path.relative_to(PACKAGE)): hits for path, tree in _modules() if (hits := secret_literals(tree))
    }

    assert found == {}


def test_no_private_key_or_signed_token_is_shipped_in_the_package_data() -> None:
    shipped = [p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in {".py", ".pyc", ".js"}]
    assert any(p.suffix == ".yaml" for p in shipped)  # the knowledge packs are among them

    found = [
        str(p.relative_to(PACKAGE)) for p in shipped if _TEXT_SECRETS.search(p.read_text("utf-8", "replace"))
    ]

    assert found == []


def test_the_demo_password_is_new_at_every_start_and_the_old_one_stops_working(
    run_cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # start, but serve nothing
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("B12CARE_DATABASE_URL", url)
    passwords = []
    for _ in range(2):
        result = run_cli("serve", "--demo", "--demo-patients", "8")
        assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
        found = re.search(r"password: (\S+)", result.stdout)  # type: ignore[attr-defined]
        assert found is not None
        passwords.append(found.group(1))

    first, second = passwords
    assert first != second and len(second) >= 16
    with bootstrap(Settings(database_url=url)) as app:
        accounts = Accounts(app.uow, app.clock, secret="s" * 40)
        with pytest.raises(AuthenticationError):
            accounts.login("demo.nurse", first, client="test")
        assert (
            accounts.authenticate(accounts.login("demo.nurse", second, client="test")).username
            == "demo.nurse"
        )
