"""Staff: the worklist, starting a request (step 1), and each task's form."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus, User
from ..services import access, forms
from ..services import instances as svc
from ..services.attachments import Upload
from ..services.errors import Conflict, Invalid, ServiceError
from ..services.processes import parsed, published_versions
from ..services.version_cache import compiled
from .common import me, paginate, uploads_from_request
from .template_helpers import case_files

bp = Blueprint("tasks", __name__)


@bp.route("/")
@login_required
def worklist():
    """List the open tasks of my lanes and those assigned to me, soonest due first."""
    user = me()
    found = paginate(access.worklist_query(user))
    instance_ids = {t.instance_id for t in found.rows}
    instances = (
        {
            i.id: i
            for i in db.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.id.in_(instance_ids))
                .options(defer(ProcessInstance.state))
            )
        }
        if instance_ids
        else {}
    )
    return render_template(
        "tasks/worklist.html",
        tasks=found.rows,
        instances=instances,
        page=found.page,
        total=found.total,
        page_size=found.page_size,
        startable=_startable(user),
        next_step=_next_step(user, request.args.get("done", type=int)),
    )


def _next_step(user: User, done_id: int | None) -> dict | None:
    """What happens to the case after the task ``user`` just finished, for the worklist."""
    if done_id is None:
        return None
    done = db.session.get(HumanTask, done_id)
    if done is None or done.completed_by_id != user.id:
        return None
    try:
        instance = svc.instance_for(user, done.instance_id)
    except ServiceError:
        return None
    waiting = [t for t in svc.tasks_of(instance.id) if t.status == TaskStatus.OPEN]
    running = instance.status == InstanceStatus.RUNNING and not waiting
    automatic = instance.current_step if running else None
    return {"done": done, "instance": instance, "waiting": waiting, "automatic": automatic}


def _startable(user):
    result = []
    for version in published_versions():
        try:
            process = parsed(version)
            step = process.first_user_step()
        except Exception:  # noqa: BLE001 - a broken diagram is not startable, never a 500
            continue
        if svc.can_start(user, step):
            result.append((version, process, step))
    return result


@bp.route("/start")
@login_required
def start_list():
    """List the SOPs I may start."""
    return render_template("tasks/start_list.html", startable=_startable(me()))


@bp.route("/start/<process_id>", methods=["GET", "POST"])
@login_required
def start(process_id: str):
    """Show and submit step 1's form: submitting it starts the case."""
    user = me()
    version, step, form = svc.start_form(process_id)
    if not svc.can_start(user, step):
        abort(403)
    values, errors, dropped = {}, {}, {}
    status = 200
    if request.method == "POST":
        # Only the form's own fields are read: anything else posted is dropped here.
        values = forms.coerce(form, request.form)
        submission_key = request.form.get("submission_key", "")[:64]
        uploads = uploads_from_request(form.file_fields)
        try:
            row, new = svc.start_instance(process_id, user, values, uploads, submission_key)
        except Invalid as exc:  # also TooLarge (413): shown on the form like any other error
            errors, status = exc.errors, exc.status
            dropped = _dropped(uploads)
            flash(exc.message, "error")
        else:
            if new:
                message = _("Permintaan #%(id)s terkirim: %(title)s", id=row.id, title=row.title)
            else:
                message = _("Permintaan ini sudah terkirim sebelumnya sebagai #%(id)s.", id=row.id)
            flash(message, "success")
            return redirect(url_for("instances.detail", instance_id=row.id, submitted=1))
    return render_template(
        "tasks/form.html",
        form=form,
        values=values,
        errors=errors,
        step=step,
        process_name=parsed(version).name,
        action=url_for("tasks.start", process_id=process_id),
        draft_key=f"start:{process_id}",
        submission_key=request.form.get("submission_key") or uuid.uuid4().hex,
        task=None,
        instance=None,
        dropped=dropped,
    ), status


@bp.route("/tasks/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    """Show a task's form; submitting it completes the task."""
    user = me()
    human_task = svc.task_for(user, task_id)
    instance = human_task.instance
    form = svc.task_form(human_task)
    values, errors, conflict, dropped = {}, {}, None, {}
    status = 200
    if request.method == "POST":
        # Only the form's own fields are read: anything else posted is dropped here.
        values = forms.coerce(form, request.form)
        uploads = uploads_from_request(form.file_fields)
        try:
            svc.complete_task(user, task_id, values, uploads)
        except Invalid as exc:  # also TooLarge (413): shown on the form like any other error
            errors, status = exc.errors, exc.status
            dropped = _dropped(uploads)
            flash(exc.message, "error")
        except Conflict as exc:
            # Said once, in the card above the form (with what became of the typed values);
            # not flashed too, or the page reads it twice.
            conflict, status = exc.message, 409
            dropped = _dropped(uploads)
        else:
            flash(_("Tugas '%(name)s' selesai.", name=human_task.name), "success")
            return redirect(url_for("tasks.worklist", done=task_id))
        human_task = svc.task_for(user, task_id)
    readonly = human_task.status != TaskStatus.OPEN
    if readonly and not values:
        values = human_task.form_data or {}
    process = compiled(instance.version_id).process
    step = process.steps.get(human_task.bpmn_id)
    history = _case_file(instance, human_task)
    return render_template(
        "tasks/form.html",
        form=form,
        values=values,
        errors=errors,
        conflict=conflict,
        step=step,
        process_name=process.name,
        action=url_for("tasks.task", task_id=task_id),
        draft_key=f"task:{task_id}",
        task=human_task,
        instance=instance,
        readonly=readonly and not conflict,
        history=history,
        casefile_open=_case_file_open(step, history, _first_step_id(process)),
        dropped=dropped,
    ), status


def _dropped(uploads: dict[str, Upload]) -> dict[str, str]:
    """Names of the files a refused submission carried: the form asks for them again."""
    return {name: upload.filename for name, upload in uploads.items()}


def _case_file(instance: ProcessInstance, current: HumanTask):
    """Completed steps before this one, with their data and image files, for the form's reader."""
    tasks = svc.tasks_of(instance.id)
    done = [t for t in tasks if t.status == TaskStatus.COMPLETED and t.id != current.id]
    files = case_files(instance)
    result = []
    for t in done:
        try:
            f = svc.task_form(t)
        except ServiceError:
            f = None
        images = [
            files[value]
            for value in (t.form_data or {}).values()
            if isinstance(value, str)
            and value in files
            and files[value].content_type.startswith("image/")
        ]
        result.append((t, f, images))
    return result


def _case_file_open(step, history, first_step_id: str | None) -> bool:
    """Open the case file at first for the step that reads it: its ``caseFile`` property says
    ``open`` or ``closed``; otherwise it opens when only the request came before."""
    wanted = str(step.properties.get("caseFile", "")).strip().lower() if step else ""
    if wanted in ("open", "closed"):
        return wanted == "open"
    return bool(history) and all(t.bpmn_id == first_step_id for t, _f, _i in history)


def _first_step_id(process) -> str | None:
    """The id of the step that starts a case (its request), or None when it has none."""
    try:
        return process.first_user_step().bpmn_id
    except Exception:  # noqa: BLE001 - a diagram without a first form has no request to read
        return None


def _flash_outcome(act: Callable[[User, int], object], task_id: int, done: str) -> None:
    """Run a claim action on the task; say it is ``done``, or why someone else stopped it."""
    try:
        act(me(), task_id)
        flash(done, "success")
    except Conflict as exc:
        flash(exc.message, "error")


@bp.route("/tasks/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    """Take a task so others in the lane see it is being handled."""
    _flash_outcome(
        svc.claim_task, task_id, _("Tugas diambil. Tugas ini kini tercatat atas nama Anda.")
    )
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.route("/tasks/<int:task_id>/release", methods=["POST"])
@login_required
def release(task_id: int):
    """Give a claimed task back to the lane."""
    _flash_outcome(svc.release_task, task_id, _("Tugas dilepas dan kembali ke daftar pelaksana."))
    return redirect(url_for("tasks.worklist"))
