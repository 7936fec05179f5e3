"""service call due time: an automatic step's time standard counted from when it became ready
(its boundary timer's fire time), stored so that whether it is late is the same SQL comparison as
a person's task (services/lateness.py)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:10:00.000000

Existing calls get their due time now: the standard of their step in their case's diagram
version, counted by the office's calendar (the app's SLA_CALENDAR) from when the step was queued,
i.e. the created_at of its first attempt (a retry keeps the step's due time), as its boundary
timer counted; one version parsed once. A call whose diagram no longer parses, or whose step has
no standard, keeps NULL (never late), as before.
"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

from webapp.engine import durations
from webapp.engine.spec import DiagramError, parse_process
from webapp.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 500
CALLS = sa.table(
    'service_call',
    sa.column('id', sa.Integer),
    sa.column('instance_id', sa.Integer),
    sa.column('bpmn_id', sa.String),
    sa.column('spiff_task_id', sa.String),
    sa.column('created_at', UTCDateTime()),
    sa.column('due_at', UTCDateTime()),
)
INSTANCES = sa.table(
    'process_instance', sa.column('id', sa.Integer), sa.column('version_id', sa.Integer)
)


def upgrade():
    # A plain ALTER, no batch copy: SQLite adds (and, from 3.35, drops) a column in place.
    op.add_column('service_call', sa.Column('due_at', UTCDateTime(), nullable=True))
    _fill()


def _standards(bind, version_id: int) -> dict[str, object]:
    """The parsed time standard of each step of a version that has one."""
    bpmn_xml, process_id = bind.execute(sa.text(
        "SELECT v.bpmn_xml, d.process_id FROM process_version v"
        " JOIN process_definition d ON d.id = v.definition_id WHERE v.id = :v"
    ), {"v": version_id}).one()
    try:
        process = parse_process(bpmn_xml.encode('utf-8'), process_id)
    except DiagramError:
        return {}
    return {
        bpmn_id: standard
        for bpmn_id, step in process.steps.items()
        if (standard := durations.try_parse(step.time_standard)) is not None
    }


def _fill():
    """Set the due time of every call whose step has a standard (see the docstring)."""
    bind = op.get_bind()
    calendar = current_app.config["SLA_CALENDAR"]
    standards: dict[int, dict] = {}
    # When the step was queued: its first attempt's row (the unique key's index finds it).
    first = CALLS.alias('first_attempt')
    queued_at = (
        sa.select(sa.func.min(first.c.created_at))
        .where(
            first.c.instance_id == CALLS.c.instance_id,
            first.c.spiff_task_id == CALLS.c.spiff_task_id,
        )
        .scalar_subquery()
    )
    last_id = 0
    while True:
        rows = bind.execute(
            sa.select(CALLS.c.id, CALLS.c.bpmn_id, queued_at, INSTANCES.c.version_id)
            .join(INSTANCES, INSTANCES.c.id == CALLS.c.instance_id)
            .where(CALLS.c.id > last_id)
            .order_by(CALLS.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        values = []
        for call_id, bpmn_id, ready_at, version_id in rows:
            if version_id not in standards:
                standards[version_id] = _standards(bind, version_id)
            standard = standards[version_id].get(bpmn_id)
            if standard is not None and ready_at is not None:
                values.append({"call_id": call_id, "due": calendar.add(ready_at, standard)})
        if values:
            bind.execute(
                CALLS.update()
                .where(CALLS.c.id == sa.bindparam("call_id"))
                .values(due_at=sa.bindparam("due")),
                values,
            )
        last_id = rows[-1][0]


def downgrade():
    op.drop_column('service_call', 'due_at')
