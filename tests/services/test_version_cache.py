"""A published version is computed once per process: diagram, forms, validators, fields."""

from __future__ import annotations

import threading

from jsonschema import Draft202012Validator
from sqlalchemy import event, select

from tests.conftest import STEP2
from webapp.extensions import db
from webapp.models import ProcessInstance, Role, User
from webapp.services import forms
from webapp.services.processes import published_version
from webapp.services.version_cache import CompiledVersion, VersionCache, compiled


def _sql_during(app, action) -> list[str]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return statements


def test_a_version_is_parsed_once_and_then_read_without_sql(app):
    with app.app_context():
        version_id = published_version("pemeliharaan_sistem_informasi").id
        first = compiled(version_id)
        again: list[CompiledVersion] = []
        assert _sql_during(app, lambda: again.append(compiled(version_id))) == []
        assert again[0] is first
        assert first.process.steps["Task_2_analisa"].lane == "Ketua Tim"


def test_a_form_without_role_choices_is_built_once_with_its_validator(app):
    with app.app_context():
        version = published_version("pemeliharaan_sistem_informasi")
        step = compiled(version.id).process.steps["Task_3_troubleshooting"]
        form = forms.load_form(version.id, step)
        assert forms.load_form(version.id, step) is form
        assert form.validator is not None
        assert forms.validate(form, {})  # the required fields are named, by the cached validator


def test_a_form_with_role_choices_reads_the_members_each_time(app):
    with app.app_context():
        version = published_version("pemeliharaan_sistem_informasi")
        step = compiled(version.id).process.steps["Task_2_analisa"]
        before = {c.value for f in forms.load_form(version.id, step).fields for c in f.choices}
        newcomer = User(username="tim9", full_name="Tim Sembilan")
        newcomer.set_password("demo")
        newcomer.roles.append(db.session.scalar(select(Role).where(Role.name == "Tim")))
        db.session.add(newcomer)
        db.session.commit()
        after = {c.value for f in forms.load_form(version.id, step).fields for c in f.choices}
        assert "tim9" not in before and "tim9" in after


def test_no_request_checks_a_schema_against_the_meta_schema(app, actions, monkeypatch):
    """check_schema belongs to lint (upload, publish), not to starting or completing a case."""
    checked: list[object] = []
    original = Draft202012Validator.check_schema

    def spy(schema, *args, **kwargs):
        checked.append(schema)
        return original(schema, *args, **kwargs)

    monkeypatch.setattr(Draft202012Validator, "check_schema", staticmethod(spy))
    instance_id = actions.start()["id"]
    task = actions.open_task(instance_id, "Task_2_analisa")
    assert actions.complete("ketua1", task.id, STEP2).status_code == 200
    step3 = actions.open_task(instance_id, "Task_3_troubleshooting")
    page = actions.client("tim1").get(f"/tasks/{step3.id}")
    assert page.status_code == 200
    assert checked == []
    with app.app_context():
        assert db.session.get(ProcessInstance, instance_id).current_step


def _fake(version_id: int) -> CompiledVersion:
    return CompiledVersion(version_id, 1, "p", "h", process=None, forms={})  # type: ignore[arg-type]


def test_the_cache_is_bounded_and_drops_the_least_recently_used():
    cache = VersionCache(maxsize=2)
    one, two = cache.get(1, _fake), cache.get(2, _fake)
    assert cache.get(1, _fake) is one  # 1 is now the most recently used
    cache.get(3, _fake)
    assert len(cache) == 2
    assert cache.get(1, _fake) is one
    assert cache.get(2, _fake) is not two  # 2 was dropped and compiled again


def test_threads_asking_for_the_same_version_at_once_compile_it_once():
    cache = VersionCache()
    calls: list[int] = []
    ready = threading.Barrier(8)

    def slow(version_id: int) -> CompiledVersion:
        # The others, released together by the barrier, wait for this compile to finish.
        calls.append(version_id)
        return _fake(version_id)

    results: list[CompiledVersion] = []

    def ask():
        ready.wait()
        results.append(cache.get(7, slow))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [7]
    assert len({id(r) for r in results}) == 1
