"""The ``b12care`` command (Typer + Rich, Console injected for tests)."""
