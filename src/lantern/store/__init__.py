"""The store: SQLAlchemy tables on SQLite or PostgreSQL, migrations and queries."""

from lantern.store.workspace import DEFAULT_CASE, Workspace

__all__ = ["DEFAULT_CASE", "Workspace"]
