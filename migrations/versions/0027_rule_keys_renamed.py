"""region rules stored under the keys renamed with the periods as the law counts them

Revision ID: 0027_rule_keys_renamed
Revises: 0026_workday_years
Create Date: 2026-12-02 07:30:00

The legal periods of negotiation, inquiry and single source are working days (74号令 Art 29, 38, 45),
and the tender documents are on offer for 5 working days (87号令 Art 24): their rules were renamed
from `min_notice_days.*` / `min_doc_days` to `…workdays…`. A region's own row under an old key would
otherwise be silently ignored (the national default applying instead): carry it over. A national row
(region NULL) under an old key was a copy of the old default and goes; the new default applies.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0027_rule_keys_renamed'
down_revision = '0026_workday_years'
branch_labels = None
depends_on = None

RENAMED = {
    "min_notice_days.competitive_negotiation": "min_notice_workdays.competitive_negotiation",
    "min_notice_days.inquiry": "min_notice_workdays.inquiry",
    "min_notice_days.single_source": "min_notice_workdays.single_source",
    "min_doc_days": "min_doc_workdays",
}


def _move(old: str, new: str) -> None:
    conn = op.get_bind()
    rules = sa.table("tender_region_rule", sa.column("region_code", sa.String), sa.column("key", sa.String))
    # a region that already has a row under the new key keeps it; its old row goes
    taken = sa.select(rules.c.region_code).where(rules.c.key == new, rules.c.region_code.is_not(None))
    conn.execute(rules.delete().where(rules.c.key == old, rules.c.region_code.in_(taken)))
    conn.execute(rules.delete().where(rules.c.key == old, rules.c.region_code.is_(None)))
    conn.execute(rules.update().where(rules.c.key == old).values(key=new))


def upgrade():
    for old, new in RENAMED.items():
        _move(old, new)


def downgrade():
    for old, new in RENAMED.items():
        _move(new, old)
