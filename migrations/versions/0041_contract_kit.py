"""contract kit: evaluation_contract becomes the kit's `contract` (any source), with its rows (issue 14)

Every award contract is carried over under the same id (its URL /contracts/<id> stays), as a contract of
source `award` <award_id>, with its parties and region copied from the project and the winning bid; the
signatures follow. Downgrade keeps the award contracts and drops those of other sources.

Revision ID: 0041_contract_kit
Revises: 0040_agency_registry
Create Date: 2026-12-03 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import core.db  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0041_contract_kit'
down_revision = '0040_agency_registry'
branch_labels = None
depends_on = None

COLUMNS = ("number, status, amount_fen, document, sha256, revision, due_at, drafted_by_id, drafted_at, signed_at, "
           "notice_id, voided_at")
SIGNATURE_COLUMNS = "contract_id, party, user_id, org_id, key_id, sha256, signature, signed_at"


def _reset_id_sequence(table):
    """PostgreSQL: rows inserted with their ids leave the serial behind; the next id follows the highest."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                   f"FROM {table}")


def upgrade():
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('purchaser_org_id', sa.Integer(), nullable=False),
    sa.Column('supplier_org_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('draft', 'signing', 'signed', 'voided', name='contract_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('drafted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'signed' OR (signed_at IS NOT NULL AND notice_id IS NOT NULL)", name=op.f('ck_contract_signed_is_published')),
    sa.CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name=op.f('ck_contract_voided_has_time')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_contract_amount_positive')),
    sa.CheckConstraint('purchaser_org_id <> supplier_org_id', name=op.f('ck_contract_two_parties')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['org.id'], name=op.f('fk_contract_agency_org_id_org')),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user_account.id'], name=op.f('fk_contract_drafted_by_id_user_account')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_contract_notice_id_notice')),
    sa.ForeignKeyConstraint(['purchaser_org_id'], ['org.id'], name=op.f('fk_contract_purchaser_org_id_org')),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], name=op.f('fk_contract_region_code_region')),
    sa.ForeignKeyConstraint(['supplier_org_id'], ['org.id'], name=op.f('fk_contract_supplier_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
    sa.UniqueConstraint('number', name=op.f('uq_contract_number')),
    sa.UniqueConstraint('source_kind', 'source_id', name='uq_contract_source')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_purchaser_org_id'), ['purchaser_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_supplier_org_id'), ['supplier_org_id'], unique=False)

    op.create_table('contract_signature',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("party IN ('purchaser', 'supplier')", name=op.f('ck_contract_signature_party_known')),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_signature_contract_id_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['public_key.id'], name=op.f('fk_contract_signature_key_id_public_key')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_contract_signature_org_id_org')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_contract_signature_user_id_user_account')),
    sa.PrimaryKeyConstraint('contract_id', 'party', name=op.f('pk_contract_signature'))
    )
    op.execute("INSERT INTO contract (id, source_kind, source_id, region_code, purchaser_org_id, supplier_org_id, "
               f"agency_org_id, {COLUMNS}) SELECT c.id, 'award', c.award_id, p.region_code, p.purchaser_org_id, "
               f"b.org_id, p.agency_org_id, {', '.join('c.' + name.strip() for name in COLUMNS.split(','))} "
               "FROM evaluation_contract c JOIN tender_lot l ON l.id = c.lot_id "
               "JOIN tender_project p ON p.id = l.project_id JOIN evaluation_award a ON a.id = c.award_id "
               "JOIN evaluation_candidate k ON k.id = a.candidate_id JOIN tender_bid b ON b.id = k.bid_id")
    op.execute(f"INSERT INTO contract_signature ({SIGNATURE_COLUMNS}) SELECT {SIGNATURE_COLUMNS} "
               "FROM evaluation_contract_signature")
    _reset_id_sequence('contract')

    with op.batch_alter_table('evaluation_contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_contract_lot_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_contract_status'))

    op.drop_table('evaluation_contract_signature')
    op.drop_table('evaluation_contract')


def downgrade():
    op.create_table('evaluation_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('draft', 'signing', 'signed', 'voided', name='evaluation_contract_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('drafted_by_id', sa.Integer(), nullable=False),
    sa.Column('drafted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('notice_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status <> 'signed' OR (signed_at IS NOT NULL AND notice_id IS NOT NULL)", name=op.f('ck_evaluation_contract_signed_is_published')),
    sa.CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name=op.f('ck_evaluation_contract_voided_has_time')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_evaluation_contract_amount_positive')),
    sa.ForeignKeyConstraint(['award_id'], ['evaluation_award.id'], name=op.f('fk_evaluation_contract_award_id_evaluation_award'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drafted_by_id'], ['user_account.id'], name=op.f('fk_evaluation_contract_drafted_by_id_user_account')),
    sa.ForeignKeyConstraint(['lot_id'], ['tender_lot.id'], name=op.f('fk_evaluation_contract_lot_id_tender_lot')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_evaluation_contract_notice_id_notice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_contract')),
    sa.UniqueConstraint('award_id', name=op.f('uq_evaluation_contract_award_id')),
    sa.UniqueConstraint('number', name=op.f('uq_evaluation_contract_number'))
    )
    with op.batch_alter_table('evaluation_contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_contract_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_contract_lot_id'), ['lot_id'], unique=False)
    op.create_table('evaluation_contract_signature',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=100), nullable=False),
    sa.Column('signed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("party IN ('purchaser', 'supplier')", name=op.f('ck_evaluation_contract_signature_party_known')),
    sa.ForeignKeyConstraint(['contract_id'], ['evaluation_contract.id'], name=op.f('fk_evaluation_contract_signature_contract_id_evaluation_contract'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['public_key.id'], name=op.f('fk_evaluation_contract_signature_key_id_public_key')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_evaluation_contract_signature_org_id_org')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_evaluation_contract_signature_user_id_user_account')),
    sa.PrimaryKeyConstraint('contract_id', 'party', name=op.f('pk_evaluation_contract_signature'))
    )
    op.execute(f"INSERT INTO evaluation_contract (id, award_id, lot_id, {COLUMNS}) SELECT c.id, c.source_id, "
               f"a.lot_id, {', '.join('c.' + name.strip() for name in COLUMNS.split(','))} FROM contract c "
               "JOIN evaluation_award a ON a.id = c.source_id WHERE c.source_kind = 'award'")
    op.execute(f"INSERT INTO evaluation_contract_signature ({SIGNATURE_COLUMNS}) SELECT "
               f"{', '.join('s.' + name.strip() for name in SIGNATURE_COLUMNS.split(','))} FROM contract_signature s "
               "JOIN contract c ON c.id = s.contract_id WHERE c.source_kind = 'award'")
    _reset_id_sequence('evaluation_contract')

    op.drop_table('contract_signature')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_supplier_org_id'))
        batch_op.drop_index(batch_op.f('ix_contract_status'))
        batch_op.drop_index(batch_op.f('ix_contract_region_code'))
        batch_op.drop_index(batch_op.f('ix_contract_purchaser_org_id'))
        batch_op.drop_index(batch_op.f('ix_contract_agency_org_id'))
    op.drop_table('contract')
