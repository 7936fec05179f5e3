"""identities and channels: where an account logs in (local, OIDC, LDAP), how a person is
reached (WhatsApp number, Telegram chat, chosen channels), and one outbox row per channel

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

from webapp.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('auth_source', sa.String(length=16), server_default='local', nullable=False)
        )
        batch_op.add_column(sa.Column('external_id', sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column('phone', sa.String(length=32), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('telegram_chat_id', sa.String(length=64), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                'notify_channels', sa.String(length=64), server_default='email', nullable=False
            )
        )
        batch_op.create_unique_constraint('uq_user_external', ['auth_source', 'external_id'])

    op.create_table(
        'notification_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notification_delivery', schema=None) as batch_op:
        batch_op.create_index(
            'ix_notification_delivery_due', ['status', 'next_attempt_at'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_notification_delivery_notification_id'), ['notification_id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('notification_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_delivery_notification_id'))
        batch_op.drop_index('ix_notification_delivery_due')
    op.drop_table('notification_delivery')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_external', type_='unique')
        batch_op.drop_column('notify_channels')
        batch_op.drop_column('telegram_chat_id')
        batch_op.drop_column('phone')
        batch_op.drop_column('external_id')
        batch_op.drop_column('auth_source')
