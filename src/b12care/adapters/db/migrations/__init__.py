"""Alembic migrations of the treatment record (``env.py``, ``versions/``); run by ``migrate.py``."""
