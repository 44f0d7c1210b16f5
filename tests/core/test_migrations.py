"""The Alembic migrations build exactly the schema the models describe."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from tests_helpers import make_test_app

from core.db import db


def test_migrations_match_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.sqlite'}"
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("checked on SQLite; the PostgreSQL run builds its schema the same way")
    app = make_test_app(tmp_path, SQLALCHEMY_DATABASE_URI=url, TESTING=True)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}),
                                    db.metadata)
            head = conn.exec_driver_sql("SELECT size FROM audit_head WHERE id = 1").scalar()
    assert diff == [], f"models and migrations differ: {diff}"
    assert head == 0
