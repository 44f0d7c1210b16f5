"""notice centre: what notices are filtered by (method, catalogue code, copied from the subject) and the
words they are found by (notice_token, jieba's search-mode segmentation of title and body); existing notices
carried over: a tender project's method and catalogue, every public notice's words (issue 19)

Revision ID: 0045_notice_centre
Revises: 0044_supplier_activation
Create Date: 2026-12-04 18:58:11.683555

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0045_notice_centre'
down_revision = '0044_supplier_activation'
branch_labels = None
depends_on = None

# kinds published as not public when this revision was written: none (every kind of the kit and tender)
BATCH = 500


def upgrade():
    op.create_table('notice_token',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_notice_token_notice_id_notice'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', 'notice_id', name=op.f('pk_notice_token'))
    )
    with op.batch_alter_table('notice_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_token_notice_id'), ['notice_id'], unique=False)

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('catalogue_code', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_notice_region_published', ['region_code', 'published_at'], unique=False)

    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE notice SET method = (SELECT p.method FROM tender_project p WHERE p.id = notice.subject_id), "
        "catalogue_code = (SELECT p.catalogue_code FROM tender_project p WHERE p.id = notice.subject_id) "
        "WHERE subject_type = 'tender_project'"))
    from core.words import index_tokens

    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, title, body FROM notice WHERE id > :last AND withdrawn_at IS NULL ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            break
        values = [{"token": t, "notice_id": r.id} for r in rows for t in sorted(index_tokens(r.title, r.body))]
        if values:
            bind.execute(sa.text("INSERT INTO notice_token (token, notice_id) VALUES (:token, :notice_id)"), values)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_region_published')
        batch_op.drop_column('catalogue_code')
        batch_op.drop_column('method')

    with op.batch_alter_table('notice_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_token_notice_id'))

    op.drop_table('notice_token')
