"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from tests_helpers import make_test_app

from core.config import normalise_database_url
from core.db import db

SCHEMA = "migration_check"


@pytest.fixture
def migration_url(tmp_path):
    """A fresh empty database: a file on SQLite, a schema of its own on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    engine = create_engine(normalise_database_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{SCHEMA}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    engine.dispose()


def test_migrations_match_models(tmp_path, migration_url):
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=migration_url, TESTING=True)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}),
                                    db.metadata)
            head = conn.exec_driver_sql("SELECT size FROM audit_head WHERE id = 1").scalar()
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert head == 0
