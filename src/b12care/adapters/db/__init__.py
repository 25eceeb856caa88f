"""The treatment record in SQL (SQLite embedded by default, PostgreSQL by URL): see docs/adr/0002.

Importing the package puts every table module on the shared ``metadata`` (accounts, CDS Hooks and
calendar tables live in modules of their own), so migrations and their tests see the whole schema.
"""

from b12care.adapters.db import tables_accounts, tables_calendar, tables_cds
from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db.migrate import upgrade_to_head
from b12care.adapters.db.unit_of_work import SqlUnitOfWork, sql_unit_of_work_factory

__all__ = [
    "SqlUnitOfWork",
    "create_database_engine",
    "sql_unit_of_work_factory",
    "tables_accounts",
    "tables_calendar",
    "tables_cds",
    "upgrade_to_head",
]
