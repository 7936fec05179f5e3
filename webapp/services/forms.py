"""Task forms: JSON Schema (+ UI schema) per user task, turned into fields, coerced, validated."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..engine import nesting
from ..engine.form_schema import OPTIONS_FROM_ROLE, schema_problem
from ..engine.form_schema import choices as schema_choices
from ..engine.form_schema import widget as widget_of
from ..engine.patterns import FormValidator, PatternError
from ..engine.spec import StepInfo
from ..extensions import db
from ..models import Role, User
from . import runtime
from .version_cache import compiled


def loads_schema(text: str | bytes) -> Any:
    """Parse a form file's JSON, refusing (ValueError) one nested deeper than a form may be."""
    return nesting.loads(text, nesting.MAX_SCHEMA_DEPTH)


class FormDefinitionError(RuntimeError):
    """A step's form file is missing or is not valid JSON Schema."""


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class Field:
    """One form field as the templates render it."""

    name: str
    label: str
    widget: str  # text, textarea, select, radio, checkbox, checkboxes, number, date, file, email
    required: bool
    help: str = ""
    description: str = ""
    placeholder: str = ""
    choices: list[Choice] = field(default_factory=list)
    accept: str = ""
    rows: int = 4
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskForm:
    """A step's form: its (prepared) schema and the fields to render, in order."""

    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    fields: list[Field]
    # The schema's validator, compiled once with the form (read-only, like the rest).
    validator: Any = field(default=None, repr=False, compare=False)

    @property
    def title(self) -> str:
        return str(self.schema.get("title", ""))

    @property
    def description(self) -> str:
        return str(self.schema.get("description", ""))

    @property
    def file_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.widget == "file"]


def _choices(prop: dict[str, Any]) -> list[Choice]:
    return [Choice(value, label) for value, label in schema_choices(prop)]


# The active members of a role, as a form's choices list them (built once, see task_actions).
_ROLE_MEMBERS = (
    select(User)
    .join(User.roles)
    .where(Role.name == bindparam("role"), User.active.is_(True))
    .order_by(User.username)
)


def _members(role_name: str) -> list[User]:
    """The active members of a role, read now; remembered for this transaction's candidates."""
    users = list(db.session.scalars(_ROLE_MEMBERS, {"role": role_name}))
    runtime.note_active_users(users)
    return users


def _role_options(
    schema: dict[str, Any], members: dict[str, list[User]] | None = None
) -> dict[str, Any]:
    """Fill choices marked ``x-options-from-role`` with the active members of that role
    (``members`` by role name when the caller has read them, else read here)."""
    schema = json.loads(json.dumps(schema))
    for prop in schema.get("properties", {}).values():
        target = prop.get("items", prop) if prop.get("type") == "array" else prop
        role_name = prop.get(OPTIONS_FROM_ROLE)
        if not role_name:
            continue
        users = members[role_name] if members is not None else _members(role_name)
        target["oneOf"] = [{"const": u.username, "title": u.display_name} for u in users] or [
            {"const": "", "title": _("(belum ada anggota peran %(role)s)", role=role_name)}
        ]
    return schema


def build_form(
    schema: dict[str, Any],
    ui_schema: dict[str, Any],
    members: dict[str, list[User]] | None = None,
) -> TaskForm:
    """Turn a JSON Schema and its UI schema into an ordered list of fields (choices from a
    role: its ``members`` by role name when given, else read now)."""
    schema = _role_options(schema, members)
    props: dict[str, Any] = schema.get("properties", {})
    order = [n for n in ui_schema.get("ui:order", []) if n in props]
    order += [n for n in props if n not in order]
    required = set(schema.get("required", []))
    fields = []
    for name in order:
        prop = props[name]
        ui = ui_schema.get(name, {})
        widget = widget_of(prop, ui)
        choices = _choices(prop.get("items", {}) if prop.get("type") == "array" else prop)
        attrs: dict[str, Any] = {}
        for key in ("minLength", "maxLength", "minimum", "maximum", "pattern"):
            if key in prop:
                attrs[key] = prop[key]
        options = ui.get("ui:options", {})
        fields.append(
            Field(
                name=name,
                label=str(prop.get("title", name)),
                widget=widget,
                required=name in required,
                help=str(ui.get("ui:help", "")),
                description=str(prop.get("description", "")),
                placeholder=str(ui.get("ui:placeholder", "")),
                choices=choices,
                accept=str(options.get("accept", "")),
                rows=int(options.get("rows", 4)),
                attrs=attrs,
            )
        )
    # Patterns are matched by RE2 (linear time): a process owner's pattern cannot make every
    # submission of the step hang.
    validator = FormValidator(schema, format_checker=FormValidator.FORMAT_CHECKER)
    return TaskForm(schema=schema, ui_schema=ui_schema, fields=fields, validator=validator)


def _roles_filled(schema: dict[str, Any]) -> list[str]:
    """The roles whose members are a form's choices (read at every use)."""
    return sorted(
        {
            str(prop[OPTIONS_FROM_ROLE])
            for prop in (schema.get("properties") or {}).values()
            if isinstance(prop, dict) and prop.get(OPTIONS_FROM_ROLE)
        }
    )


def schema_errors(schema: Any) -> list[str]:
    """Say what makes a form schema unusable (empty list when it is fine)."""
    if not isinstance(schema, dict):
        return [_("Skema harus berupa objek JSON.")]
    problem = schema_problem(schema)
    if problem is not None:
        where = problem.path or "(akar)"
        return [_("Skema tidak sah di %(where)s: %(msg)s", where=where, msg=problem.detail)]
    if schema.get("type") not in (None, "object"):
        return [_("Skema formulir harus bertipe object.")]
    return []


def _read_form(forms: dict[str, str], step: StepInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    schema_file = step.form_schema_file
    if not schema_file or schema_file not in forms:
        raise FormDefinitionError(
            _("Formulir untuk langkah '%(step)s' tidak ditemukan.", step=step.name)
        )
    try:
        schema = json.loads(forms[schema_file])
        ui_schema = json.loads(forms.get(step.ui_schema_file or "", "{}") or "{}")
    except ValueError as exc:
        raise FormDefinitionError(f"{schema_file}: {exc}") from exc
    if not isinstance(schema, dict) or not isinstance(ui_schema, dict):
        raise FormDefinitionError(f"{schema_file}: {_('Skema harus berupa objek JSON.')}")
    return schema, ui_schema


def load_form(version_id: int, step: StepInfo) -> TaskForm:
    """Return the form of a step from the files stored with its process version.

    Built once per version and step (the files never change); a form whose choices are a
    role's members reads them afresh, and is built again only when they changed (the form
    last built for the step is kept with the members it lists). The schema was checked against
    the meta-schema when the diagram was uploaded and published (lint), so it is not checked
    again here.
    """
    version = compiled(version_id)
    schema, ui_schema = version.memo(
        ("form-files", step.bpmn_id), lambda: _read_form(version.forms, step)
    )
    roles = _roles_filled(schema)
    if not roles:
        return version.memo(("form", step.bpmn_id), lambda: build_form(schema, ui_schema))
    members = {role: _members(role) for role in roles}
    listed = tuple(
        (role, tuple((u.username, u.display_name) for u in users))
        for role, users in members.items()
    )
    last: dict[Any, TaskForm] = version.memo(("form-by-members", step.bpmn_id), dict)
    form = last.get(listed)
    if form is None:
        form = build_form(schema, ui_schema, members)
        last.clear()  # one entry: the members as last read
        last[listed] = form
    return form


def coerce(form: TaskForm, raw: Any) -> dict[str, Any]:
    """Turn submitted HTML form values (strings) into the JSON types the schema asks for.

    Values that cannot be converted are kept as strings so validation reports them next to
    their field and the user sees what they typed.
    """
    props = form.schema.get("properties", {})
    data: dict[str, Any] = {}
    for f in form.fields:
        prop = props[f.name]
        if f.widget == "file":
            continue
        if f.widget == "checkboxes":
            values = [v for v in raw.getlist(f.name) if v != ""]
            if values:
                data[f.name] = values
            continue
        if f.widget == "checkbox":
            data[f.name] = raw.get(f.name) in ("on", "true", "1", "y")
            continue
        value = raw.get(f.name, "")
        if not isinstance(value, str) or value.strip() == "":
            continue
        value = value.strip() if f.widget != "textarea" else value.replace("\r\n", "\n")
        if prop.get("type") == "integer":
            try:
                data[f.name] = int(value)
            except ValueError:
                data[f.name] = value
        elif prop.get("type") == "number":
            try:
                number = float(value.replace(",", "."))
                data[f.name] = int(number) if number.is_integer() else number
            except ValueError:
                data[f.name] = value
        else:
            data[f.name] = value
    return data


_MESSAGES = {
    "required": lambda e: _("Wajib diisi."),
    "minLength": lambda e: _("Minimal %(n)s karakter.", n=e.validator_value),
    "maxLength": lambda e: _("Maksimal %(n)s karakter.", n=e.validator_value),
    "minimum": lambda e: _("Nilai minimal %(n)s.", n=e.validator_value),
    "maximum": lambda e: _("Nilai maksimal %(n)s.", n=e.validator_value),
    "pattern": lambda e: _("Format tidak sesuai."),
    "type": lambda e: _("Jenis isian tidak sesuai (harus %(t)s).", t=e.validator_value),
    "oneOf": lambda e: _("Pilih salah satu pilihan yang tersedia."),
    "enum": lambda e: _("Pilih salah satu pilihan yang tersedia."),
    "const": lambda e: _("Pilih salah satu pilihan yang tersedia."),
    "minItems": lambda e: _("Pilih minimal %(n)s.", n=e.validator_value),
    "uniqueItems": lambda e: _("Pilihan tidak boleh ganda."),
    "format": lambda e: _("Format tidak sesuai."),
    "additionalProperties": lambda e: _("Isian tidak dikenal."),
}


def validate(form: TaskForm, data: dict[str, Any]) -> dict[str, str]:
    """Validate data against the form's schema; return {field: message} (empty when valid)."""
    validator = form.validator or FormValidator(
        form.schema, format_checker=FormValidator.FORMAT_CHECKER
    )
    errors: dict[str, str] = {}
    try:
        found = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    except PatternError:
        # Published before patterns were checked at upload: refuse clearly, never hang.
        return {
            "__form__": _(
                "Formulir ini memuat pola isian yang tidak didukung; hubungi pemilik proses."
            )
        }
    for error in found:
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            name = missing
        else:
            name = str(error.path[0]) if error.path else ""
        if name in errors:
            continue
        message = _MESSAGES.get(str(error.validator), lambda e: e.message)(error)
        errors[name or "__form__"] = message
    return errors
