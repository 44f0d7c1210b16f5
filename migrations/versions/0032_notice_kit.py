"""notice kit: tender_notice becomes the kit's `notice` (any subject), with its rows (issue 14)

Every tender notice is carried over under the same id (its public URL /notices/<id> stays), as a notice
about subject `tender_project` <project_id>, in the project's region; the contract notices' foreign key
follows. Notices published before this revision have no audit event of their own (audit_seq NULL).
Downgrade keeps the tender projects' notices of the six kinds tender_notice knew and drops the others.

Revision ID: 0032_notice_kit
Revises: 0031_phone_replies
Create Date: 2026-12-03 07:30:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0032_notice_kit'
down_revision = '0031_phone_replies'
branch_labels = None
depends_on = None

OLD_KINDS = ('tender', 'correction', 'clarification', 'failure', 'result', 'contract')


def _reset_id_sequence(table):
    """PostgreSQL: rows inserted with their ids leave the serial behind; the next id follows the highest."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                   f"FROM {table}")


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('subject_type', sa.String(length=40), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=True),
    sa.Column('audit_seq', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawn_by_id IS NULL)', name=op.f('ck_notice_withdrawn_by_a_notice')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_notice_region_code_region')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['notice.id'], name=op.f('fk_notice_withdrawn_by_id_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_subject', ['subject_type', 'subject_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_region_code'), ['region_code'], unique=False)

    op.create_table('notice_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_attachment_notice_id_notice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_attachment'))
    )
    with op.batch_alter_table('notice_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_attachment_notice_id'), ['notice_id'], unique=False)

    # the rows, under their ids; who withdrew whom once every row is in (a correction comes after the notice)
    op.execute("INSERT INTO notice (id, kind, region_code, subject_type, subject_id, lot_id, title, body, "
               "published_at) SELECT n.id, n.kind, p.region_code, 'tender_project', n.project_id, n.lot_id, "
               "n.title, n.body, n.published_at FROM tender_notice n JOIN tender_project p ON p.id = n.project_id")
    op.execute("UPDATE notice SET withdrawn_at = (SELECT t.withdrawn_at FROM tender_notice t WHERE t.id = notice.id), "
               "withdrawn_by_id = (SELECT t.withdrawn_by_id FROM tender_notice t WHERE t.id = notice.id) "
               "WHERE id IN (SELECT id FROM tender_notice WHERE withdrawn_by_id IS NOT NULL)")
    _reset_id_sequence('notice')

    with op.batch_alter_table('evaluation_contract', schema=None) as batch_op:
        batch_op.drop_constraint('fk_evaluation_contract_notice_id_tender_notice', type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_contract_notice_id_notice'), 'notice',
                                    ['notice_id'], ['id'])

    with op.batch_alter_table('tender_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_tender_notice_published_at')
        batch_op.drop_index('ix_tender_notice_project_id')
    op.drop_table('tender_notice')


def downgrade():
    op.create_table('tender_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum(*OLD_KINDS, name='tender_notice_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['tender_lot.id'], name=op.f('fk_tender_notice_lot_id_tender_lot')),
    sa.ForeignKeyConstraint(['project_id'], ['tender_project.id'], name=op.f('fk_tender_notice_project_id_tender_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['tender_notice.id'], name=op.f('fk_tender_notice_withdrawn_by_id_tender_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tender_notice'))
    )
    with op.batch_alter_table('tender_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tender_notice_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tender_notice_published_at'), ['published_at'], unique=False)

    kinds = ", ".join(f"'{k}'" for k in OLD_KINDS)
    kept = f"subject_type = 'tender_project' AND kind IN ({kinds})"
    op.execute("INSERT INTO tender_notice (id, project_id, lot_id, kind, title, body, published_at) "
               f"SELECT id, subject_id, lot_id, kind, title, body, published_at FROM notice WHERE {kept}")
    op.execute("UPDATE tender_notice SET withdrawn_at = (SELECT n.withdrawn_at FROM notice n WHERE n.id = tender_notice.id), "
               "withdrawn_by_id = (SELECT n.withdrawn_by_id FROM notice n WHERE n.id = tender_notice.id) "
               f"WHERE id IN (SELECT id FROM notice WHERE {kept} AND withdrawn_by_id IN (SELECT id FROM notice WHERE {kept}))")
    _reset_id_sequence('tender_notice')
    op.execute(f"UPDATE evaluation_contract SET notice_id = NULL WHERE notice_id NOT IN (SELECT id FROM tender_notice)")

    with op.batch_alter_table('evaluation_contract', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluation_contract_notice_id_notice'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_contract_notice_id_tender_notice'), 'tender_notice',
                                    ['notice_id'], ['id'])

    with op.batch_alter_table('notice_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_attachment_notice_id'))
    op.drop_table('notice_attachment')
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_region_code'))
        batch_op.drop_index(batch_op.f('ix_notice_published_at'))
        batch_op.drop_index(batch_op.f('ix_notice_kind'))
        batch_op.drop_index('ix_notice_subject')
    op.drop_table('notice')
