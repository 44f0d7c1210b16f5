"""login sessions on the server, step-up failures counted on their own

Revision ID: 0024_login_sessions
Revises: 0023_bid_copy_checks
Create Date: 2026-12-01 23:59:00

A login gets a server-side row (login_session) so that logging out voids a copied cookie; login_failure
also counts step-up failures (kind 'step_up') apart from password and login-code failures (issue 11).
"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


revision = '0024_login_sessions'
down_revision = '0023_bid_copy_checks'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_login_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_login_session_secret_hash'))
    )
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_session_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_failure_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_login_failure_kind_valid'),
                                         "kind IN ('password', 'totp', 'step_up')")


def downgrade():
    op.execute("DELETE FROM login_failure WHERE kind = 'step_up'")
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_login_failure_kind_valid'), type_='check')
        batch_op.create_check_constraint(op.f('ck_login_failure_kind_valid'), "kind IN ('password', 'totp')")
    with op.batch_alter_table('login_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_user_id'))
    op.drop_table('login_session')
