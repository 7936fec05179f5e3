"""done indexes: the dashboard's and SLA page's reads of what finished in a period read one
index range, for cases (SOP, status, completed_at) and for automatic steps' calls (step, status,
finished_at), instead of every completed case of the SOP or every succeeded call ever

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:10:00.000000

Without the first SQLite, which keeps no statistics unless told to, answered the three counts
through ix_process_instance_outcome (SOP and status only) and read every completed case: 2.4 s
for the dashboard at 100,000 cases against 0.1 s at 1,000 (bench/scale.py). The same shape as
ix_human_task_done. Without the second, the upload's (step 5) figures of a period had only
ix_service_call_status (status, id) and read every succeeded call, four times a view.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        'ix_process_instance_done',
        'process_instance',
        ['process_id', 'status', 'completed_at'],
        unique=False,
    )
    op.create_index(
        'ix_service_call_done',
        'service_call',
        ['bpmn_id', 'status', 'finished_at'],
        unique=False,
    )


def downgrade():
    op.drop_index('ix_service_call_done', table_name='service_call')
    op.drop_index('ix_process_instance_done', table_name='process_instance')
