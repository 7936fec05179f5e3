"""worker status: each background worker's last sweep, errors and failed cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import webapp.models.types

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_status',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('started_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', webapp.models.types.UTCDateTime(), nullable=False),
    sa.Column('sweeps', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('failed_cases', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('last_error_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.Column('stopped_at', webapp.models.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_status'))
    )
    with op.batch_alter_table('worker_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_status_last_seen_at'), ['last_seen_at'], unique=False)


def downgrade():
    with op.batch_alter_table('worker_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_status_last_seen_at'))
    op.drop_table('worker_status')
