"""outcomes: the end event a completed case finished at, filled for completed cases

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:50:00.000000

Completed cases get their outcome from their stored state: the state is read as JSON (never
restored into a workflow) and its top-level tasks are matched against the end events of the
version's diagram, parsed once per version. A case whose diagram no longer parses, or whose
state holds no completed main-path end event, keeps NULL. Terminated cases keep NULL.
"""
import sqlalchemy as sa
from alembic import op

from webapp.engine.outcomes import outcome_events, outcome_in_state
from webapp.engine.spec import DiagramError, parse_process

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

BATCH = 500


def upgrade():
    # Plain ALTERs, no batch copy: SQLite adds (and, from 3.35, drops) a column in place, and a
    # table copy would trip the foreign keys the cases' tasks hold to this table.
    op.add_column('process_instance', sa.Column('outcome_id', sa.String(length=255), nullable=True))
    op.add_column(
        'process_instance', sa.Column('outcome_name', sa.String(length=255), nullable=True)
    )
    op.create_index(
        'ix_process_instance_outcome',
        'process_instance',
        ['process_id', 'status', 'outcome_id', 'started_at'],
        unique=False,
    )
    _fill_completed()


def _fill_completed():
    """Set the outcome of every completed case its stored state tells (see the docstring)."""
    bind = op.get_bind()
    versions = bind.execute(sa.text(
        "SELECT DISTINCT v.id, v.bpmn_xml, d.process_id FROM process_version v"
        " JOIN process_definition d ON d.id = v.definition_id"
        " JOIN process_instance i ON i.version_id = v.id WHERE i.status = 'completed'"
    )).all()
    update = sa.text(
        "UPDATE process_instance SET outcome_id = :oid, outcome_name = :oname WHERE id = :id"
    )
    for version_id, bpmn_xml, process_id in versions:
        try:
            possible = outcome_events(parse_process(bpmn_xml.encode('utf-8'), process_id).spec)
        except DiagramError:
            continue
        last_id = 0
        while True:
            rows = bind.execute(sa.text(
                "SELECT id, state FROM process_instance WHERE version_id = :v"
                " AND status = 'completed' AND id > :last ORDER BY id LIMIT :n"
            ), {"v": version_id, "last": last_id, "n": BATCH}).all()
            if not rows:
                break
            values = []
            for instance_id, state in rows:
                try:
                    outcome = outcome_in_state(state, possible)
                except ValueError:
                    outcome = None
                if outcome is not None:
                    values.append(
                        {"id": instance_id, "oid": outcome.id[:255], "oname": outcome.name[:255]}
                    )
            if values:
                bind.execute(update, values)
            last_id = rows[-1][0]


def downgrade():
    op.drop_index('ix_process_instance_outcome', table_name='process_instance')
    op.drop_column('process_instance', 'outcome_name')
    op.drop_column('process_instance', 'outcome_id')
