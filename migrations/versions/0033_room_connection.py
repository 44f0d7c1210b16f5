"""room connection: who watches which real-time room, shared by every process (core.rooms, issue 14)

Revision ID: 0033_room_connection
Revises: 0032_notice_kit
Create Date: 2026-12-03 07:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0033_room_connection'
down_revision = '0032_notice_kit'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('room_connection',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('namespace', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('seen_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_room_connection_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sid', 'namespace', 'subject_id', name=op.f('pk_room_connection'))
    )
    with op.batch_alter_table('room_connection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_connection_seen_at'), ['seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('room_connection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_connection_seen_at'))

    op.drop_table('room_connection')
