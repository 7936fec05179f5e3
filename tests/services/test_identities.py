"""Accounts from single sign-on and the directory (services/identities.py): created on the first
log-in, kept up to date after, roles following the role map without touching roles given by
hand, and never taking over a local account that has the same username."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditEvent, Role, User
from webapp.services import identities
from webapp.services.identities import IdentityConflict, IdentityRefused, parse_role_map

ROLE_MAP = parse_role_map("sopflow-ketua=Ketua Tim;sopflow-tim=Tim;sopflow-admin=admin")
ISSUER = "http://127.0.0.1:9/realm"


def _provision(sub="s-1", username="Budi.SSO", groups=("sopflow-tim",), **extra) -> User:
    values = {
        "username": username,
        "full_name": "Budi Santoso",
        "email": "budi@kantor.go.id",
        "groups": groups,
        "role_map": ROLE_MAP,
    }
    values.update(extra)
    return identities.provision("oidc", f"{ISSUER}|{sub}", **values)


def _user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def _actions(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


# --- the role map setting ---------------------------------------------------------------------


def test_role_map_reads_groups_roles_with_spaces_and_several_roles():
    assert parse_role_map("sopflow-ketua=Ketua Tim;sopflow-tim=Tim, Tim Teknis ;") == {
        "sopflow-ketua": ["Ketua Tim"],
        "sopflow-tim": ["Tim", "Tim Teknis"],
    }


def test_role_map_takes_a_directory_dn_as_the_group():
    mapped = parse_role_map("cn=ketua,ou=groups,dc=kantor,dc=go,dc=id=Ketua Tim\n")
    assert mapped == {"cn=ketua,ou=groups,dc=kantor,dc=go,dc=id": ["Ketua Tim"]}


def test_role_map_merges_a_group_named_twice_and_empty_is_empty():
    assert parse_role_map("g=A;g=B,A") == {"g": ["A", "B"]}
    assert parse_role_map("") == {}
    assert parse_role_map(" ; ") == {}


@pytest.mark.parametrize("bad", ["justagroup", "=Tim", "g=", "g= , "])
def test_role_map_refuses_an_entry_without_group_or_role(bad):
    with pytest.raises(ValueError, match="role map entry"):
        parse_role_map(bad)


# --- provisioning ------------------------------------------------------------------------------


def test_first_log_in_creates_the_account_with_mapped_roles_and_no_usable_password(app):
    with app.app_context():
        user = _provision(groups=["sopflow-tim", "SOPFLOW-KETUA", "unmapped"])
        assert user.username == "budi.sso"
        assert (user.auth_source, user.external_id) == ("oidc", f"{ISSUER}|s-1")
        assert (user.full_name, user.email) == ("Budi Santoso", "budi@kantor.go.id")
        assert user.role_names == {"Tim", "Ketua Tim"}
        assert not user.check_password("")
        assert not user.check_password(user.password_hash)
        assert _actions("auth.account_created") == 1


def test_next_log_in_updates_name_email_and_roles_but_keeps_hand_given_roles(app):
    with app.app_context():
        first = _provision(groups=["sopflow-tim", "sopflow-ketua"])
        # An administrator gives a role the map never names.
        first.roles.append(db.session.scalar(select(Role).where(Role.name == "process_owner")))
        db.session.commit()
        again = _provision(
            username="someone-else",
            full_name="Budi S., S.Kom.",
            email="budi.s@kantor.go.id",
            groups=["sopflow-ketua"],
        )
        assert again.id == first.id
        assert again.username == "budi.sso"  # kept: diagrams and assignments refer to it
        assert (again.full_name, again.email) == ("Budi S., S.Kom.", "budi.s@kantor.go.id")
        assert again.role_names == {"Ketua Tim", "process_owner"}
        assert _actions("auth.roles_synced") == 1
        assert db.session.scalar(select(func.count()).select_from(User)) == 7  # 6 demo + 1


def test_a_local_account_with_the_same_username_is_never_taken_over(app):
    with app.app_context():
        with pytest.raises(IdentityConflict) as refused:
            _provision(username="ketua1", groups=["sopflow-admin"])
        assert "ketua1" in refused.value.message
        ketua = _user("ketua1")
        assert (ketua.auth_source, ketua.external_id) == ("local", None)
        assert ketua.role_names == {"Ketua Tim"}
        assert ketua.check_password("demo")
        assert _actions("auth.identity_conflict") == 1


def test_another_sso_account_with_the_same_username_is_not_taken_over(app):
    with app.app_context():
        _provision(sub="s-1", username="budi")
        with pytest.raises(IdentityConflict):
            _provision(sub="s-2", username="budi")
        assert _user("budi").external_id == f"{ISSUER}|s-1"


def test_an_account_made_ahead_for_sso_is_linked_on_first_log_in(app):
    with app.app_context():
        db.session.add(
            User(username="budi", full_name="Budi", auth_source="oidc", password_hash="!x")
        )
        db.session.commit()
        user = _provision(username="budi")
        assert user.external_id == f"{ISSUER}|s-1"
        assert db.session.scalar(select(func.count()).select_from(User)) == 7


def test_a_deactivated_account_is_refused(app):
    with app.app_context():
        user = _provision()
        user.active = False
        db.session.commit()
        with pytest.raises(IdentityRefused) as refused:
            _provision(full_name="Changed")
        assert not isinstance(refused.value, IdentityConflict)
        assert "dinonaktifkan" in refused.value.message
        assert _user("budi.sso").full_name == "Budi Santoso"


@pytest.mark.parametrize("username", ["", "   ", "budi santoso", "x" * 65])
def test_an_unusable_username_is_refused(app, username):
    with app.app_context():
        with pytest.raises(IdentityRefused):
            _provision(username=username)


def test_a_role_the_map_names_but_sopflow_lacks_is_not_created(app):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Role))
        user = _provision(groups=["g"], role_map=parse_role_map("g=Tim,Tidak Ada"))
        assert user.role_names == {"Tim"}
        assert db.session.scalar(select(func.count()).select_from(Role)) == before


def test_a_bad_email_from_the_provider_is_dropped_not_stored(app):
    with app.app_context():
        assert _provision(email="not an address").email == ""


# --- what does not fit, and what is not vouched for ---------------------------------------------


def _refusals(reason: str) -> list[dict]:
    return [
        event.detail
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "auth.identity_refused")
        )
        if event.detail["reason"] == reason
    ]


def test_an_external_id_of_255_characters_fits(app):
    sub = "s" * (255 - len(ISSUER) - 1)
    with app.app_context():
        assert len(_provision(sub=sub).external_id) == 255


def test_an_external_id_too_long_for_its_column_is_refused_audited_and_creates_nothing(app):
    # Cut to 255, two ids sharing their first 255 characters would become one account.
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
        with pytest.raises(IdentityRefused) as refused:
            _provision(sub="s" * 300)
        assert refused.value.reason == "external_id"
        assert refused.value.message.count(".") == 1 and "terlalu panjang" in refused.value.message
        assert db.session.scalar(select(func.count()).select_from(User)) == before
        assert _user("budi.sso") is None
        [detail] = _refusals("external_id")
        assert detail["length"] == len(ISSUER) + 1 + 300 and detail["source"] == "oidc"


def test_a_username_too_long_is_refused_not_cut_into_another_persons_account(app):
    with app.app_context():
        first = _provision(sub="s-1", username="a" * 64)
        with pytest.raises(IdentityRefused) as refused:
            _provision(sub="s-2", username="a" * 64 + "b")
        assert refused.value.reason == "username"
        assert db.session.scalar(select(func.count()).select_from(User).where(User.id == first.id))
        assert _user("a" * 64).external_id == f"{ISSUER}|s-1"
        [detail] = _refusals("username")
        assert detail["username"] == "a" * 64 + "b"  # as the provider gave it


def test_a_very_long_name_is_shortened_and_a_very_long_email_is_not_kept(app):
    with app.app_context():
        user = _provision(full_name="Budi " + "x" * 500, email="b" * 250 + "@kantor.go.id")
        assert user.full_name == ("Budi " + "x" * 500)[:200]
        assert user.email == ""
        # A later too-long address does not wipe the one already known.
        _provision(email="budi@kantor.go.id")
        assert _provision(email="b" * 250 + "@kantor.go.id").email == "budi@kantor.go.id"


def test_an_unvouched_username_neither_creates_nor_links_an_account(app):
    with app.app_context():
        db.session.add(
            User(username="budi", full_name="Budi", auth_source="oidc", password_hash="!x")
        )
        db.session.commit()
        for sub in ("s-1", "s-2"):  # made ahead for "budi", and nobody's yet
            with pytest.raises(IdentityRefused) as refused:
                _provision(sub=sub, username="budi", username_trusted=False)
            assert refused.value.reason == "email_unverified"
        assert _user("budi").external_id is None
        assert db.session.scalar(select(func.count()).select_from(User)) == 7
        assert len(_refusals("email_unverified")) == 2


def test_an_account_already_linked_logs_in_whatever_its_username_claim_says(app):
    with app.app_context():
        first = _provision(username="budi")
        again = _provision(username="budi", username_trusted=False, full_name="Budi S.")
        assert (again.id, again.full_name) == (first.id, "Budi S.")


def test_refusing_a_deactivated_account_is_audited_on_its_trail(app):
    with app.app_context():
        user = _provision()
        user.active = False
        db.session.commit()
        with pytest.raises(IdentityRefused):
            _provision()
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "auth.identity_refused")
        )
        assert (event.user_id, event.detail["reason"]) == (user.id, "deactivated")


def test_refusals_are_in_the_log_for_the_it_team(app, caplog, monkeypatch):
    # Alembic's logging set-up (migrations/env.py, run when the test database is made) turns
    # off the loggers that existed before it; the served app never runs it.
    monkeypatch.setattr(identities.log, "disabled", False)
    with app.app_context(), caplog.at_level("WARNING", logger="webapp.services.identities"):
        with pytest.raises(IdentityRefused):
            _provision(username="budi santoso")
        with pytest.raises(IdentityConflict):
            _provision(sub="s-9", username="ketua1")
    messages = [r.getMessage() for r in caplog.records]
    assert any("refused (username)" in m and "budi santoso" in m for m in messages), messages
    assert any("refused (conflict)" in m and "'ketua1'" in m for m in messages), messages


def test_groups_not_given_are_refused_not_read_as_none_when_a_role_map_is_set(app):
    with app.app_context():
        first = _provision(groups=["sopflow-tim"])
        with pytest.raises(IdentityRefused) as refused:
            _provision(groups=None)
        assert refused.value.reason == "groups_missing"
        assert _user("budi.sso").role_names == {"Tim"}
        assert len(_refusals("groups_missing")) == 1
        assert _provision(sub="s-2", username="sari", groups=None, role_map={}).id != first.id


def test_ids_differing_only_in_case_are_two_people_on_every_database(app):
    # Provider ids are case-sensitive (Azure AD's pairwise sub); MariaDB's comparison is not.
    with app.app_context():
        budi = _provision(sub="AbC-1", username="budi")
        try:
            other = _provision(sub="abc-1", username="sari")
        except IdentityRefused as refused:
            assert db.engine.dialect.name in ("mysql", "mariadb")
            assert refused.reason == "external_id_clash"
            assert _user("sari") is None
        else:
            assert db.engine.dialect.name not in ("mysql", "mariadb")
            assert other.id != budi.id and other.username == "sari"
        assert _user("budi").external_id == f"{ISSUER}|AbC-1"


def test_on_mariadb_a_directory_dn_in_other_capitals_is_not_refused_as_a_clash(app):
    # Without entryUUID or objectGUID the id is the entry's DN, which LDAP compares ignoring
    # case; the clash guard is for single sign-on's case-sensitive ids only.
    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.skip("only MariaDB compares the stored ids ignoring case")
        dn = "uid=budi,ou=People,dc=kantor,dc=test"
        kwargs = {
            "username": "budi",
            "full_name": "Budi",
            "email": "",
            "groups": [],
            "role_map": {},
        }
        first = identities.provision("ldap", dn, **kwargs)
        assert identities.provision("ldap", dn.lower(), **kwargs).id == first.id


@pytest.mark.parametrize(
    "stored, given",
    [
        (
            "cn=Jose Garcia,ou=People,dc=kantor,dc=test",
            "cn=José Garcia,ou=People,dc=kantor,dc=test",
        ),
        ("cn=Budi,ou=People,dc=kantor,dc=test ", "cn=Budi,ou=People,dc=kantor,dc=test"),
        ("cn=Budi,ou=People,dc=kantor,dc=test", "cn=Ｂudi,ou=People,dc=kantor,dc=test"),
    ],
)
def test_a_directory_dn_differing_beyond_letter_case_never_finds_anothers_account(
    app, stored, given
):
    # A DN as the id (no objectGUID or entryUUID): MariaDB's comparison also ignores accents,
    # trailing spaces and full-width forms, where two DNs name two people.
    with app.app_context():
        jose = User(
            username="jose",
            full_name="Jose",
            auth_source="ldap",
            external_id=stored,
            password_hash="!x",
        )
        db.session.add(jose)
        db.session.commit()
        kwargs = {"full_name": "José", "email": "", "groups": [], "role_map": {}}
        # Refused where the database's comparison finds Jose's row (MariaDB), a second
        # account where it does not; never Jose's account.
        try:
            other = identities.provision("ldap", given, username="jose.g", **kwargs)
        except IdentityRefused as refused:
            assert refused.reason == "external_id_clash"
            [detail] = _refusals("external_id_clash")
            assert (detail["source"], detail["clashing_user_id"]) == ("ldap", jose.id)
            assert _user("jose.g") is None
        else:
            assert other.id != jose.id and other.username == "jose.g"
        assert _user("jose").external_id == stored


def test_a_single_sign_on_clash_names_the_clashing_account_in_the_audit(app):
    with app.app_context():
        if db.engine.dialect.name not in ("mysql", "mariadb"):
            pytest.skip("only MariaDB compares the stored ids ignoring case")
        budi = _provision(sub="AbC-1", username="budi")
        with pytest.raises(IdentityRefused):
            _provision(sub="abc-1", username="sari")
        [detail] = _refusals("external_id_clash")
        assert detail["clashing_user_id"] == budi.id


@pytest.mark.parametrize("raw", ["\u212aetua1", "ketua\u0130", "\uff4beuta1"])
def test_a_username_that_lowers_to_ascii_is_refused_not_taken_as_anothers(app, raw):
    # The Kelvin sign lowers to "k": "\u212aetua1" would be ketua1's account.
    with pytest.raises(IdentityRefused) as refused:
        identities.normalize_username(raw)
    assert refused.value.reason == "username"
    with app.app_context():
        with pytest.raises(IdentityRefused) as refused:
            _provision(sub="s-9", username=raw)
        assert refused.value.reason == "username"
        assert _user("ketua1").auth_source == "local"
