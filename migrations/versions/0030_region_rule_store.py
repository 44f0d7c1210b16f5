"""one region-rule store: tender's and the draw's rules carried over, rule-set versions recorded

Revision ID: 0030_region_rule_store
Revises: 0029_expert_accounts
Create Date: 2026-12-03 07:20:00

Region rules lived in two tables: `tender_region_rule` (one integer per key and region, tender's
keys and the evaluation's `evaluation.*`) and `expert_draw_rule` (one typed row per region, whole
rows overriding). Both move into `rule_change` + `rule_setting` (region_rules): each region's rows
become one change of that region, in force since before anything the platform ran (so every value
keeps applying exactly as it did), its draw values under `expert_draw.<column>`. The processes that
run under rules record the rule-set version they ran under: the project's publication and opening,
the evaluation committee (the draw already has `rule_version`).
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0030_region_rule_store'
down_revision = '0029_expert_accounts'
branch_labels = None
depends_on = None

IN_FORCE_SINCE = datetime(2000, 1, 1, tzinfo=UTC)  # carried-over values applied before any process ran
DRAW_COLUMNS = {  # column -> default at 0028 (used when going back down)
    "min_committee": 5, "large_min_committee": 7, "large_budget_fen": 10_000_000_00, "expert_share_num": 2,
    "expert_share_den": 3, "opening_workdays": 2, "exempt_methods": "competitive_negotiation,competitive_consultation",
    "age_limit": 70, "employment_years": 3, "same_purchaser_days": 30, "allow_fallback": True, "confirm_hours": 24,
    "late_decline_hours": 24, "evaluation_hours": 8, "weighting": "",
    "panel_methods": "competitive_negotiation,competitive_consultation,inquiry,single_source",
    "panel_min_committee": 3, "panel_large_min_committee": 5, "panel_large_budget_fen": 4_000_000_00,
}
change_t = sa.table("rule_change", sa.column("id", sa.Integer), sa.column("region_code", sa.String),
                    sa.column("effective_at", core.db.UTCDateTime()), sa.column("created_at", core.db.UTCDateTime()),
                    sa.column("created_by_id", sa.Integer), sa.column("reason", sa.String))
setting_t = sa.table("rule_setting", sa.column("change_id", sa.Integer), sa.column("key", sa.String),
                     sa.column("value", sa.JSON), sa.column("note", sa.String))
tender_t = sa.table("tender_region_rule", sa.column("id", sa.Integer), sa.column("region_code", sa.String),
                    sa.column("key", sa.String), sa.column("value", sa.Integer), sa.column("note", sa.String))
draw_t = sa.table("expert_draw_rule", sa.column("id", sa.Integer), sa.column("region_code", sa.String),
                  sa.column("version", sa.Integer), *(sa.column(c) for c in DRAW_COLUMNS))


def _add_change(conn, region_code, reason: str, settings: list[tuple[str, object, str]]) -> None:
    conn.execute(change_t.insert().values(region_code=region_code, effective_at=IN_FORCE_SINCE,
                                          created_at=datetime.now(UTC), created_by_id=None, reason=reason))
    change_id = conn.execute(sa.select(sa.func.max(change_t.c.id))).scalar()
    conn.execute(setting_t.insert(), [{"change_id": change_id, "key": key, "value": value, "note": note[:200]}
                                      for key, value, note in settings])


def _by_region(rows) -> list[tuple[str | None, list]]:
    """Rows grouped by region, the national level first."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(row.region_code, []).append(row)
    return sorted(groups.items(), key=lambda item: (item[0] is not None, item[0] or ""))


def _carry_over(conn) -> None:
    for region_code, rows in _by_region(conn.execute(sa.select(tender_t).order_by(tender_t.c.key))):
        _add_change(conn, region_code, "沿用原区划规则表（tender_region_rule）",
                    [(row.key, row.value, row.note or "") for row in rows])
    for region_code, rows in _by_region(conn.execute(sa.select(draw_t).order_by(draw_t.c.id))):
        row = rows[0]  # one row per region (unique)
        values = [(f"expert_draw.{c}", bool(row[i + 3]) if c == "allow_fallback" else row[i + 3], "")
                  for i, c in enumerate(DRAW_COLUMNS)]
        _add_change(conn, region_code, f"沿用原专家抽取规则表（expert_draw_rule，第 {row.version} 版）", values)


def upgrade():
    op.create_table('rule_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('effective_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_rule_change_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_rule_change_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_change'))
    )
    with op.batch_alter_table('rule_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_change_effective_at'), ['effective_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_change_region_code'), ['region_code'], unique=False)

    op.create_table('rule_setting',
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['change_id'], ['rule_change.id'], name=op.f('fk_rule_setting_change_id_rule_change'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('change_id', 'key', name=op.f('pk_rule_setting'))
    )
    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_rules_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opened_rules_version', sa.Integer(), nullable=True))
    with op.batch_alter_table('evaluation_committee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_version', sa.Integer(), nullable=True))

    _carry_over(op.get_bind())

    with op.batch_alter_table('tender_region_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tender_region_rule_region_code'))
    op.drop_table('tender_region_rule')
    op.drop_table('expert_draw_rule')


def _latest(conn, prefix_draw: bool) -> dict:
    """(region, key) -> the value of the latest change, for going back to the two tables."""
    rows = conn.execute(sa.select(change_t.c.region_code, setting_t.c.key, setting_t.c.value, setting_t.c.note)
                        .select_from(setting_t.join(change_t, change_t.c.id == setting_t.c.change_id))
                        .order_by(change_t.c.effective_at, change_t.c.id)).all()
    return {(r.region_code, r.key): (r.value, r.note) for r in rows
            if r.key.startswith("expert_draw.") == prefix_draw}


def downgrade():
    op.create_table('expert_draw_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('min_committee', sa.Integer(), nullable=False),
    sa.Column('large_min_committee', sa.Integer(), nullable=False),
    sa.Column('large_budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('expert_share_num', sa.Integer(), nullable=False),
    sa.Column('expert_share_den', sa.Integer(), nullable=False),
    sa.Column('opening_workdays', sa.Integer(), nullable=False),
    sa.Column('exempt_methods', sa.String(length=200), nullable=False),
    sa.Column('age_limit', sa.Integer(), nullable=False),
    sa.Column('employment_years', sa.Integer(), nullable=False),
    sa.Column('same_purchaser_days', sa.Integer(), nullable=False),
    sa.Column('allow_fallback', sa.Boolean(), nullable=False),
    sa.Column('confirm_hours', sa.Integer(), nullable=False),
    sa.Column('late_decline_hours', sa.Integer(), nullable=False),
    sa.Column('evaluation_hours', sa.Integer(), nullable=False),
    sa.Column('weighting', sa.String(length=40), nullable=False),
    sa.Column('panel_methods', sa.String(length=200), nullable=False),
    sa.Column('panel_min_committee', sa.Integer(), nullable=False),
    sa.Column('panel_large_min_committee', sa.Integer(), nullable=False),
    sa.Column('panel_large_budget_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('expert_share_den > 0 AND expert_share_num <= expert_share_den', name=op.f('ck_expert_draw_rule_share_fraction')),
    sa.CheckConstraint('large_min_committee >= min_committee', name=op.f('ck_expert_draw_rule_large_not_smaller')),
    sa.CheckConstraint('min_committee >= 3 AND min_committee % 2 = 1', name=op.f('ck_expert_draw_rule_min_odd')),
    sa.CheckConstraint('opening_workdays >= 0 AND confirm_hours > 0', name=op.f('ck_expert_draw_rule_periods')),
    sa.CheckConstraint('panel_min_committee >= 3 AND panel_min_committee % 2 = 1'
                       ' AND panel_large_min_committee >= panel_min_committee', name=op.f('ck_expert_draw_rule_panel_sizes')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_expert_draw_rule_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_draw_rule')),
    sa.UniqueConstraint('region_code', name='uq_expert_draw_rule_region')
    )
    op.create_table('tender_region_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_tender_region_rule_region_code_region')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_region_rule')),
    sa.UniqueConstraint('region_code', 'key', name='uq_tender_region_rule_region_key')
    )
    with op.batch_alter_table('tender_region_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_region_rule_region_code'), ['region_code'], unique=False)

    conn = op.get_bind()
    tender = _latest(conn, prefix_draw=False)
    if tender:
        conn.execute(tender_t.insert(), [{"region_code": region, "key": key, "value": int(value), "note": note}
                                         for (region, key), (value, note) in sorted(
                                             tender.items(), key=lambda i: (i[0][0] or "", i[0][1]))])
    draw: dict = {}
    for (region, key), (value, _note) in _latest(conn, prefix_draw=True).items():
        draw.setdefault(region, dict(DRAW_COLUMNS))[key.removeprefix("expert_draw.")] = value
    for region, values in sorted(draw.items(), key=lambda i: i[0] or ""):
        conn.execute(draw_t.insert().values(region_code=region, version=1,
                                            **{c: values[c] for c in DRAW_COLUMNS}))

    with op.batch_alter_table('evaluation_committee', schema=None) as batch_op:
        batch_op.drop_column('rules_version')
    with op.batch_alter_table('tender_project', schema=None) as batch_op:
        batch_op.drop_column('opened_rules_version')
        batch_op.drop_column('published_rules_version')
    op.drop_table('rule_setting')
    with op.batch_alter_table('rule_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_change_region_code'))
        batch_op.drop_index(batch_op.f('ix_rule_change_effective_at'))
    op.drop_table('rule_change')
