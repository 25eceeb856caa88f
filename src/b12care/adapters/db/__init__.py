"""The treatment record in SQL (SQLite embedded by default, PostgreSQL by URL): see docs/adr/0002."""

from b12care.adapters.db import tables_cds  # noqa: F401 - puts the CDS tables on the shared metadata
from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db import tables_accounts  # noqa: F401 - puts the account tables on the shared metadata
from b12care.adapters.db import tables_calendar  # noqa: F401 - puts the calendar table on the shared metadata
from b12care.adapters.db.migrate import upgrade_to_head
from b12care.adapters.db.unit_of_work import SqlUnitOfWork, sql_unit_of_work_factory

__all__ = ["SqlUnitOfWork", "create_database_engine", "sql_unit_of_work_factory", "upgrade_to_head"]
