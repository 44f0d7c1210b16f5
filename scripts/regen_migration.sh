#!/bin/sh
# Regenerate the one initial migration from the models (the project has no deployed database to
# migrate yet, so the schema lives in a single revision). tests/core/test_migrations.py checks that
# the result matches the models on SQLite and PostgreSQL. The revision id stays 0001: a database made
# from an older schema does not upgrade; delete instance/ (demo data only so far) and `make run` again.
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/*.py
FLASK_APP=wsgi DATABASE_URL="sqlite:///$tmp/mig.sqlite" BIAOYUN_INSTANCE_PATH="$tmp" \
    .venv/bin/flask db migrate -m "initial schema" --rev-id 0001 >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
file=$(ls migrations/versions/*.py)
.venv/bin/python - "$file" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
if "import core.db" not in text:
    text = text.replace("import sqlalchemy as sa\n", "import sqlalchemy as sa\n\nimport core.db  # noqa: F401  (custom column types)\n", 1)
seed = """
    # The audit log's head row: the empty tree (audit.models.EMPTY_FRONTIER).
    from audit.models import EMPTY_FRONTIER

    op.bulk_insert(sa.table('audit_head', sa.column('id', sa.Integer), sa.column('size', sa.Integer),
                            sa.column('frontier', sa.Text)), [{'id': 1, 'size': 0, 'frontier': EMPTY_FRONTIER}])
"""
text = re.sub(r"(    # ### end Alembic commands ###\n)(\n\ndef downgrade)", r"\1" + seed.replace("\\", "\\\\") + r"\2", text, count=1)
open(path, "w", encoding="utf-8").write(text)
PY
echo "$file"
