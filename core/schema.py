"""Is the database at the schema the code expects? `flask serve` and the Celery worker ask before starting.

A database someone keeps is upgraded with `flask db upgrade`, one Alembic revision at a time. A process
started on a database that is behind would fail later, on the first query that touches a new column, and
perhaps after it has half-done a step; refusing at start-up, with the command to run, is cheaper.

A database built by `db.create_all()` (the tests, the benchmarks) has the models' tables but no
`alembic_version` row: it is not behind, so it is accepted. An empty database is refused like one behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from core.config import ROOT

MIGRATIONS = ROOT / "migrations"
UPGRADE_COMMAND = "flask --app wsgi db upgrade"


class SchemaBehind(RuntimeError):
    """The database's schema is older than the code (or missing): run the upgrade first."""


@dataclass(frozen=True)
class SchemaState:
    """The revisions the database is at and the head(s) the code's migrations end in."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    has_tables: bool

    @property
    def created_without_alembic(self) -> bool:
        return not self.current and self.has_tables

    @property
    def is_current(self) -> bool:
        return self.created_without_alembic or set(self.current) == set(self.heads)


def script_directory(directory: Path = MIGRATIONS) -> ScriptDirectory:
    return ScriptDirectory(str(directory))


def code_heads(directory: Path = MIGRATIONS) -> tuple[str, ...]:
    """The head revisions of the migration scripts: exactly one on a healthy tree."""
    return tuple(script_directory(directory).get_heads())


def schema_state(engine: Engine, directory: Path = MIGRATIONS) -> SchemaState:
    with engine.connect() as conn:
        current = tuple(MigrationContext.configure(conn).get_current_heads())
        has_tables = bool(set(inspect(conn).get_table_names()) - {"alembic_version"})
    return SchemaState(current=current, heads=code_heads(directory), has_tables=has_tables)


def ensure_schema_current(app: Flask) -> None:
    """Raise SchemaBehind with the command to run unless the app's database is at the code's head."""
    from core.db import db

    with app.app_context():
        state = schema_state(db.engine)
    if state.is_current:
        return
    at = ", ".join(state.current) or "空数据库 / empty database"
    raise SchemaBehind(
        f"数据库结构落后于程序（数据库：{at}；程序：{', '.join(state.heads)}），请先运行 `{UPGRADE_COMMAND}`。\n"
        f"The database schema is behind the code (database: {at}; code: {', '.join(state.heads)}): "
        f"run `{UPGRADE_COMMAND}` first.")
