"""The OpenAPI 3.1 document of /api/v1: every route, its bodies and its error answers."""

from __future__ import annotations

import copy
from typing import Any

from ..services.case_view import HISTORY_LAST_PAGE, HISTORY_MAX_PAGE, HISTORY_PAGE
from ..services.sop_import import table_schema
from ..services.submissions import MAX_DATA_BYTES, MAX_DATA_DEPTH
from ..services.versions import NOTE_MAX


def ref(name: str) -> dict[str, str]:
    """A reference to a schema under components/schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    """A value of ``kind`` or null, the OpenAPI 3.1 (JSON Schema) way."""
    return {"type": [kind, "null"], **extra}


def obj(properties: dict[str, Any], optional: tuple[str, ...] = (), **extra: Any) -> dict:
    """An object schema whose properties are all required except ``optional``."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties, **extra}


def all_of(base: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A schema extending ``base`` with more (required) properties."""
    return {"allOf": [ref(base), obj(properties)]}


TIME = {"type": "string", "format": "date-time"}
FILE = {"type": "string", "format": "binary"}  # an uploaded file in a multipart body
TASK_STATUS = {"type": "string", "enum": ["open", "completed", "cancelled"]}
INSTANCE_STATUS = {
    "type": "string",
    "enum": ["running", "waiting", "suspended", "error", "completed", "terminated"],
}

SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "message": {"type": "string", "description": "Pesan galat. / Error message."},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Pesan per isian (422). / Message per field (422).",
            },
            "findings": {"type": "array", "items": ref("Finding")},
        },
        optional=("errors", "findings"),
    ),
    "Task": obj(
        {
            "id": {"type": "integer"},
            "instance_id": {"type": "integer"},
            "name": {"type": "string"},
            "step": {"type": "string", "description": "ID langkah BPMN. / BPMN step id."},
            "lane": {"type": "string", "description": "Peran pelaksana. / Lane (role)."},
            "status": TASK_STATUS,
            "assignee": nullable("string", description="Pemegang tugas. / Holder."),
            "candidates": {"type": "array", "items": {"type": "string"}},
            "ready_at": TIME,
            "due_at": nullable("string", format="date-time"),
            "breached_at": nullable("string", format="date-time"),
            "completed_at": nullable("string", format="date-time"),
            "completed_by": nullable("string"),
        },
        description="Tugas seorang pelaksana. / A human task.",
    ),
    "TaskDetail": all_of(
        "Task",
        {
            "schema": {"type": "object", "description": "JSON Schema formulir. / Form schema."},
            "ui_schema": {"type": "object"},
            "data": nullable("object", description="Isian tersimpan. / Submitted data."),
        },
    ),
    "HistoryItem": all_of("Task", {"data": nullable("object")}),
    "InstanceSummary": obj(
        {
            "id": {"type": "integer"},
            "process_id": {"type": "string"},
            "version": {"type": "integer"},
            "title": {"type": "string"},
            "status": INSTANCE_STATUS,
            "current_step": {"type": "string"},
            "started_by": nullable("string"),
            "started_at": TIME,
            "completed_at": nullable("string", format="date-time"),
            "outcome": {
                "oneOf": [ref("Outcome"), {"type": "null"}],
                "description": "Peristiwa akhir yang dicapai kasus selesai; null selama berjalan "
                "atau bila dihentikan. / The end event a completed case reached; null while it "
                "runs or when terminated.",
            },
            "current_tasks": {
                "type": "array",
                "items": ref("Task"),
                "description": "Tugas terbuka berikutnya. / Its open (next) tasks.",
            },
            "url": {"type": "string", "format": "uri", "description": "Halaman kasus. / Web page."},
        },
        description="Ringkasan kasus dan tugas terbukanya: jawaban mulai dan selesaikan tugas. "
        "Riwayat ada di /history. / A case's summary and its open tasks: what starting it and "
        "completing a task answer with. Its history is at /history.",
    ),
    "Instance": {
        "allOf": [
            ref("InstanceSummary"),
            obj(
                {
                    "history": {
                        "type": "array",
                        "items": ref("HistoryItem"),
                        "description": "Hanya dengan include=history. / Only with include=history.",
                    },
                    "report_html_url": nullable(
                        "string",
                        format="uri",
                        description="Laporan hasil perbaikan. / Repair report.",
                    ),
                    "report_pdf_url": nullable("string", format="uri"),
                    "incidents": {"type": "array", "items": ref("Incident")},
                },
                optional=("history",),
            ),
        ],
        "description": "Satu kasus (instans proses). / One process instance.",
    },
    "HistoryPage": obj(
        {
            "items": {"type": "array", "items": ref("HistoryItem")},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": HISTORY_MAX_PAGE},
            "next": nullable(
                "string", description="Halaman berikutnya, atau null. / Next page, or null."
            ),
        },
        description="Langkah selesai sebuah kasus berurutan, satu halaman. / A case's completed "
        "steps in order, one page.",
    ),
    "Outcome": obj(
        {
            "id": {
                "type": "string",
                "description": "ID peristiwa akhir BPMN. / BPMN end event id.",
            },
            "name": {"type": "string", "description": "Nama, mis. Izin terbit. / Its name."},
        },
        description="Hasil kasus: peristiwa akhir yang dicapai. / A case's outcome.",
    ),
    "Role": obj(
        {
            "id": {"type": "integer"},
            "name": {"type": "string", "description": "Sama dengan nama lane. / The lane name."},
            "description": {"type": "string"},
            "external": {
                "type": "boolean",
                "description": "Peran luar (pemohon). / An external role (applicants).",
            },
        },
        description="Peran (lane). / A role (lane).",
    ),
    "NewRole": obj(
        {
            "name": {"type": "string", "minLength": 2, "maxLength": 100},
            "description": {
                "type": "string",
                "maxLength": 255,
                "description": "Tanpa isian: 'Lane: <nama>'. / Omitted: 'Lane: <name>'.",
            },
            "external": {"type": "boolean", "default": False},
        },
        optional=("description", "external"),
    ),
    "Incident": obj(
        {
            "id": {"type": "integer"},
            "kind": {"type": "string", "description": "timer | service"},
            "element": {"type": "string"},
            "message": {"type": "string", "description": "Penyebab. / The cause in plain words."},
            "created_at": TIME,
            "resolved_at": nullable("string", format="date-time"),
        }
    ),
    "Finding": obj(
        {
            "level": {"type": "string", "enum": ["error", "warning"]},
            "code": {"type": "string"},
            "element": {"type": "string"},
            "name": {"type": "string"},
            "params": {
                "type": "object",
                "description": "Isian pesan menurut kode. / The code's parameters (JSON).",
            },
            "message": {
                "type": "string",
                "description": "Apa yang salah dan apa yang dilakukan, dalam bahasa permintaan. "
                "/ What is wrong and what to do, in the request's language.",
            },
            "fix": nullable("object"),
        },
        optional=("fix", "params"),
        description="Temuan pemeriksaan diagram. / A lint finding.",
    ),
    "Version": obj(
        {
            "process_id": {"type": "string"},
            "version": {"type": "integer"},
            "published_at": nullable("string", format="date-time"),
            "created_at": TIME,
            "content_hash": {"type": "string"},
            "note": {"type": "string"},
            "findings": {"type": "array", "items": ref("Finding")},
        },
        description="Satu versi diagram SOP. / One version of an SOP diagram.",
    ),
    "CompletedTask": all_of("Task", {"instance": ref("InstanceSummary")}),
    "Process": obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "version": {"type": "integer"},
            "start_lane": {"type": "string"},
            "lanes": {"type": "array", "items": {"type": "string"}},
        },
        description="Proses (SOP) yang terbit. / A published process.",
    ),
    "ProcessDetail": all_of(
        "Process",
        {
            "start_form": {"type": "object", "description": "JSON Schema langkah 1. / Step 1."},
            "start_ui_schema": {"type": "object"},
        },
    ),
    "Submission": obj(
        {
            "data": {
                "type": "object",
                "description": (
                    "Isian formulir langkah ini: hanya isian yang dinyatakan skemanya "
                    "(`properties`). / The step's form data: only the fields its schema declares "
                    "(`properties`)."
                ),
            }
        },
        description=(
            'Berkas sebagai data URL. / Files as "data:<type>;name=<file>;base64,…".\n\n'
            "Kunci yang tidak ada di `properties` formulir ditolak dengan 422 yang menyebut "
            "namanya, juga di objek bertingkat kecuali skemanya menyatakan "
            "`additionalProperties`/`patternProperties`. / Keys that are not among the form's "
            "`properties` are refused with a 422 naming them (`errors` has one entry per key, "
            "`a.b` or `a[0].b` for nested ones); nested objects are closed the same way unless "
            "their schema declares `additionalProperties`, `unevaluatedProperties` or "
            "`patternProperties`. Extra keys are never merged into the case data.\n\n"
            f"Batas / limits: `data` nests at most {MAX_DATA_DEPTH} levels (`data` itself is "
            f"level 1; deeper: 422); the data without its files is at most "
            f"{MAX_DATA_BYTES // 1024} KiB as JSON (larger: 413); the whole request body is at "
            "most the server's upload limit (SOPFLOW_MAX_UPLOAD_MB + 64 KiB; larger: 413)."
        ),
    ),
}

ERRORS = {
    400: "Proses gagal dijalankan. / The engine failed.",
    401: "Token tidak ada atau tidak sah. / Missing or invalid token.",
    403: "Bukan hak pemanggil. / Not allowed for the caller.",
    404: "Tidak ditemukan. / Not found.",
    409: "Sudah diubah orang lain. / Someone else changed it first.",
    413: "Permintaan atau isian terlalu besar. / Request body or data too large.",
    422: (
        "Isian tidak sah, tidak dikenal, atau bersarang terlalu dalam; atau keadaan kasus yang "
        "dihasilkan tidak dapat disimpan (tidak ada yang berubah). / Invalid data, unknown "
        "fields or nesting too deep; or the case state the action would produce cannot be "
        "saved (nothing changed)."
    ),
}


def json_body(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    """A response (or request body) carrying JSON of ``schema``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def items_of(name: str) -> dict[str, Any]:
    """A ``{"items": [...]}`` list of ``name``."""
    return obj({"items": {"type": "array", "items": ref(name)}})


def operation(
    summary: str, ok: dict[str, Any], errors: tuple[int, ...], status: int = 200, **extra: Any
) -> dict[str, Any]:
    """One operation answering ``ok`` with ``status`` and ``errors`` with the Error schema."""
    responses = {str(status): ok}
    for code in (401, *errors):
        responses[str(code)] = json_body(ref("Error"), ERRORS[code])
    return {"summary": summary, "responses": responses, **extra}


def path_id(name: str, kind: str = "integer") -> dict[str, Any]:
    """A required path parameter."""
    schema: dict[str, Any] = {"type": kind}
    if kind == "integer":
        schema.update(minimum=1, maximum=2**31 - 1)  # an INTEGER key on every database
    return {"name": name, "in": "path", "required": True, "schema": schema}


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An optional query parameter."""
    param: dict[str, Any] = {"name": name, "in": "query", "schema": schema}
    if description:
        param["description"] = description
    return param


SUBMISSION = {"required": True, "content": {"application/json": {"schema": ref("Submission")}}}
TASK_ID = [path_id("task_id")]


def task_holding(summary: str, answer: str) -> dict[str, Any]:
    """A POST on a task that takes or gives it up, answered with the task (claim, release)."""
    return {
        "parameters": TASK_ID,
        "post": operation(summary, json_body(ref("Task"), answer), (403, 404, 409)),
    }


PATHS: dict[str, Any] = {
    "/api/v1/processes": {
        "get": operation(
            "Proses yang boleh dimulai pemanggil. / Processes the caller may start.",
            json_body(items_of("Process"), "Daftar proses. / Processes."),
            (),
        )
    },
    "/api/v1/processes/{process_id}": {
        "parameters": [path_id("process_id", "string")],
        "get": operation(
            "Satu proses dengan formulir awal. / One process with its start form.",
            json_body(ref("ProcessDetail"), "Proses. / The process."),
            (404,),
        ),
    },
    "/api/v1/processes/{process_id}/instances": {
        "parameters": [
            path_id("process_id", "string"),
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": (
                    "Kunci pengiriman: permintaan berulang dengan kunci yang sama mengembalikan "
                    "kasus yang sudah dimulai (200). / Repeating a request with the same key "
                    "returns the instance it started (200)."
                ),
                "schema": {"type": "string", "maxLength": 64},
            },
        ],
        "post": operation(
            "Mulai kasus; data adalah isian langkah 1. / Start an instance with step 1's data.",
            json_body(
                ref("InstanceSummary"),
                "Kasus dimulai. / Instance started.",
                headers={
                    "Location": {
                        "description": "URL kasus. / Instance URL.",
                        "schema": {"type": "string"},
                    }
                },
            ),
            (400, 403, 404, 413, 422),
            status=201,
            requestBody=SUBMISSION,
        ),
    },
    "/api/v1/tasks": {
        "get": operation(
            "Tugas terbuka pemanggil, tenggat terdekat dulu. / Caller's open tasks, soonest due.",
            json_body(items_of("Task"), "Daftar tugas. / Tasks."),
            (),
            parameters=[
                query(
                    "limit",
                    {"type": "integer", "default": 100, "minimum": 1, "maximum": 500},
                    "Dibatasi ke 1..500. / Clamped to 1..500.",
                )
            ],
        )
    },
    "/api/v1/tasks/{task_id}": {
        "parameters": TASK_ID,
        "get": operation(
            "Satu tugas dengan formulirnya. / One task with its form.",
            json_body(ref("TaskDetail"), "Tugas. / The task."),
            (403, 404),
        ),
    },
    "/api/v1/tasks/{task_id}/claim": task_holding(
        "Ambil tugas. / Claim the task.", "Tugas diambil. / Claimed."
    ),
    "/api/v1/tasks/{task_id}/release": task_holding(
        "Lepaskan tugas. / Release the task.", "Tugas dilepas. / Released."
    ),
    "/api/v1/tasks/{task_id}/complete": {
        "parameters": TASK_ID,
        "post": operation(
            "Selesaikan tugas dengan isiannya. / Complete the task with its data.",
            json_body(ref("CompletedTask"), "Tugas selesai. / Completed."),
            (400, 403, 404, 409, 413, 422),
            requestBody=SUBMISSION,
        ),
    },
    "/api/v1/processes/{process_id}/versions": {
        "parameters": [path_id("process_id", "string")],
        "post": operation(
            "Unggah diagram sebagai draf (pemilik proses). / Upload a diagram as a draft.",
            json_body(ref("Version"), "Draf baru dengan temuannya. / New draft, its findings."),
            (403, 413, 422),
            status=201,
            requestBody={
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": obj(
                            {
                                "bpmn": FILE,
                                "forms": {"type": "array", "items": FILE},
                                "note": {"type": "string", "maxLength": NOTE_MAX},
                            },
                            optional=("forms", "note"),
                        )
                    }
                },
            },
        ),
    },
    "/api/v1/processes/{process_id}/versions/{version}/publish": {
        "parameters": [path_id("process_id", "string"), path_id("version")],
        "post": operation(
            "Terbitkan draf. / Publish a draft.",
            json_body(ref("Version"), "Versi terbit. / The published version."),
            (403, 404, 422),
        ),
    },
    "/api/v1/roles": {
        "post": operation(
            "Tambah peran (pemilik proses, administrator). / Add a role (owners, admins).",
            json_body(ref("Role"), "Peran dibuat. / Role created."),
            (403, 413, 422),
            status=201,
            requestBody={
                "required": True,
                "content": {"application/json": {"schema": ref("NewRole")}},
                "description": "Nama yang sudah dipakai: 422. / A name already taken: 422.",
            },
        ),
    },
    "/api/v1/instances/{instance_id}": {
        "parameters": [path_id("instance_id")],
        "get": operation(
            "Status, tugas terbuka, insiden dan laporan kasus; riwayatnya dengan include=history. "
            "/ Status, open tasks, incidents and reports of an instance; its history with "
            "include=history.",
            json_body(ref("Instance"), "Kasus. / The instance."),
            (403, 404),
            parameters=[
                query(
                    "include",
                    {"type": "string", "enum": ["history"]},
                    "`history`: sertakan seluruh riwayat. / `history`: include the whole history "
                    "(long ones: page through /history).",
                )
            ],
        ),
    },
    "/api/v1/instances/{instance_id}/history": {
        "parameters": [path_id("instance_id")],
        "get": operation(
            "Riwayat kasus (langkah selesai dengan isiannya), per halaman; hak baca sama dengan "
            "kasusnya. / An instance's history (completed steps with their data), paged; "
            "readable by whoever may read the instance.",
            json_body(ref("HistoryPage"), "Satu halaman riwayat. / One page of history."),
            (403, 404),
            parameters=[
                query(
                    "page",
                    {"type": "integer", "minimum": 1, "maximum": HISTORY_LAST_PAGE, "default": 1},
                ),
                query(
                    "per_page",
                    {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": HISTORY_MAX_PAGE,
                        "default": HISTORY_PAGE,
                    },
                    f"Dibatasi ke 1..{HISTORY_MAX_PAGE}. / Clamped to 1..{HISTORY_MAX_PAGE}.",
                ),
            ],
        ),
    },
    "/api/v1/instances/{instance_id}/report.{fmt}": {
        "parameters": [
            path_id("instance_id"),
            {
                "name": "fmt",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": ["html", "pdf"]},
            },
        ],
        "get": {
            "summary": "Laporan hasil perbaikan. / The repair report (HTML or PDF).",
            "responses": {
                "200": {
                    "description": "Laporan. / The report.",
                    "content": {
                        "text/html": {"schema": {"type": "string"}},
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                    },
                },
                **{str(code): json_body(ref("Error"), ERRORS[code]) for code in (401, 403, 404)},
            },
        },
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "Dokumen OpenAPI ini. / This OpenAPI document.",
            "security": [],
            "responses": {"200": json_body({"type": "object"}, "Dokumen. / The document.")},
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "sopflow API",
        "version": "1",
        "description": "API JSON untuk sistem lain; token Bearer saja. / JSON API, bearer tokens.",
    },
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        "schemas": SCHEMAS,
    },
}


PATHS["/api/v1/processes/{process_id}/instances"]["post"]["responses"]["200"] = json_body(
    ref("InstanceSummary"),
    "Kiriman berulang: kasus yang sudah dimulai. / Repeated submission: the existing instance.",
)


PATHS["/api/v1/processes/{process_id}/versions"]["post"]["responses"]["200"] = json_body(
    ref("Version"), "Isi sama dengan versi yang ada. / Same content as an existing version."
)


# Import an SOP document (issue 15): the proposal (nothing saved), then the confirmed draft.
SCHEMAS["ImportTable"] = {
    **table_schema(),
    "description": "Tabel SOP hasil baca dokumen, dikoreksi pemilik proses. / The SOP table "
    "read from the document, as the owner corrects it.",
}
SCHEMAS["ImportProposal"] = obj(
    {
        "table": ref("ImportTable"),
        "process_id": {"type": "string"},
        "bpmn": {"type": "string", "description": "Diagram BPMN usulan. / Proposed BPMN XML."},
        "forms": {
            "type": "object",
            "additionalProperties": {"type": "object"},
            "description": "Formulir per nama berkas. / Forms (JSON Schema) by file name.",
        },
        "findings": {"type": "array", "items": ref("Finding")},
    },
    description="Usulan impor; belum disimpan. / An import proposal; nothing saved.",
)
SCHEMAS["ImportRequest"] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "Teks/HTML tabel SOP. / Pasted text or HTML."},
        "table": ref("ImportTable"),
        "confirm": {"type": "boolean", "description": "true: buat draf. / true: create the draft."},
        "process_id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
    },
    "description": "`text`, atau `table` (+ `confirm`). / `text`, or `table` (+ `confirm`).",
}
SCHEMAS["Error"]["properties"].update(
    code={"type": "string", "description": "Kode penolakan dokumen. / Why a document was refused."},
    params={"type": "object"},
)
PATHS["/api/v1/processes/import"] = {
    "post": operation(
        "Impor dokumen SOP (pemilik proses): usulan draf, lalu draf setelah dikonfirmasi. / "
        "Import an SOP document (owners): a proposed draft, then the draft once confirmed.",
        json_body(ref("ImportProposal"), "Usulan; tidak ada yang disimpan. / Nothing saved."),
        (403, 413, 422),
        status=200,
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {"schema": obj({"file": FILE})},
                "application/json": {"schema": ref("ImportRequest")},
            },
        },
    )
}
PATHS["/api/v1/processes/import"]["post"]["responses"]["201"] = json_body(
    all_of("Version", {"url": {"type": "string", "format": "uri"}}),
    "Draf dibuat dari tabel yang dikonfirmasi. / The draft made from the confirmed table.",
)


def openapi_document() -> dict[str, Any]:
    """Return a fresh copy of the OpenAPI document."""
    return copy.deepcopy(DOCUMENT)
