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
    # Plain ALTERs and a unique index, no batch copy: SQLite adds (and, from 3.35, drops) a
    # column in place, and a copy of the user table would trip the foreign keys held to it.
    op.add_column(
        'user', sa.Column('auth_source', sa.String(length=16), server_default='local', nullable=False)
    )
    op.add_column('user', sa.Column('external_id', sa.String(length=255), nullable=True))
    op.add_column('user', sa.Column('phone', sa.String(length=32), server_default='', nullable=False))
    op.add_column(
        'user',
        sa.Column('telegram_chat_id', sa.String(length=64), server_default='', nullable=False),
    )
    op.add_column(
        'user',
        sa.Column('notify_channels', sa.String(length=64), server_default='email', nullable=False),
    )
    op.create_index('uq_user_external', 'user', ['auth_source', 'external_id'], unique=True)

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
    op.drop_table('notification_delivery')  # its indexes go with it
    op.drop_index('uq_user_external', table_name='user')
    for column in ('notify_channels', 'telegram_chat_id', 'phone', 'external_id', 'auth_source'):
        op.drop_column('user', column)
