"""The register of personal data covers every table: a new table or personal column forces a decision."""

from fastapi import FastAPI
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text
from sqlmodel import SQLModel

import app.models  # noqa: F401 - every table registered on the metadata
from app.privacy.register import NOT_PERSONAL, REGISTER, check_register, personal_columns_of
from tests.conftest import Browser, World, login


def test_every_table_is_in_the_register_or_explicitly_not_personal() -> None:
    assert check_register(SQLModel.metadata) == []


def test_the_check_catches_an_unregistered_table_with_personal_data() -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    Table(
        "nieuwe_notitie",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("author_id", ForeignKey("user_account.id")),
    )
    Table("nieuw_telefoonboek", metadata, Column("id", Integer, primary_key=True), Column("phone", String(20)))
    Table("nieuw_vrij", metadata, Column("id", Integer, primary_key=True), Column("remark", Text))
    Table(
        "nieuw_gemarkeerd",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("x", Integer, info={"personal": True}),
    )
    Table("nieuw_zonder", metadata, Column("id", Integer, primary_key=True), Column("count", Integer))
    problems = check_register(metadata)
    for name in ("nieuwe_notitie", "nieuw_telefoonboek", "nieuw_vrij", "nieuw_gemarkeerd", "nieuw_zonder"):
        assert any(p.startswith(f"{name}:") for p in problems), name  # even a table without personal data: decide


def test_the_check_catches_a_new_personal_column_on_a_registered_table() -> None:
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["evidence"].append_column(Column("client_name", String(200)))
    metadata.tables["cohort"].append_column(Column("mentor_id", ForeignKey("user_account.id")))
    problems = check_register(metadata)
    assert any(p.startswith("evidence:") and "client_name" in p for p in problems)
    assert any(p.startswith("cohort:") and "mentor_id" in p for p in problems)


def test_personal_columns_are_found_mechanically() -> None:
    tables = SQLModel.metadata.tables
    assert {"email", "name", "student_number", "organisation", "function"} <= set(
        personal_columns_of(tables["user_account"])
    )
    assert "decided_by_id" in personal_columns_of(tables["sign_off"])  # a foreign key to a person
    assert "reflection" in personal_columns_of(tables["evidence_version"])  # free text
    assert personal_columns_of(tables["audit_chain_head"]) == ()


def test_register_entries_are_complete() -> None:
    keys = [kind.key for kind in REGISTER]
    assert len(keys) == len(set(keys))
    for kind in REGISTER:
        assert kind.title and kind.purpose and kind.legal_basis and kind.retention, kind.key
    for reason in NOT_PERSONAL.values():
        assert reason


def test_the_register_page_is_for_beheerder_and_coordinator(app: FastAPI, world: World, client: Browser) -> None:
    login(client, world.admin.email)
    page = client.get("/privacy/register")
    assert page.status_code == 200
    for kind in REGISTER:
        if kind.table_name:
            assert kind.table_name in page.text
    # The retention shown is the current setting.
    assert f"{app.state.settings.retention_access_log_months} maanden" in page.text
    client.post("/logout")
    login(client, world.student.email)
    assert client.get("/privacy/register").status_code == 404


def test_the_privacy_statement_is_public_and_linked_in_the_footer(app: FastAPI, client: Browser) -> None:
    app.state.settings.privacy_contact = "privacy@school.example (FG: mr. J. Jansen)"
    page = client.get("/privacy")
    assert page.status_code == 200
    for word in ("Inzage", "Export", "Correctie", "Verwijdering", "privacy@school.example (FG: mr. J. Jansen)"):
        assert word in page.text
    assert f"{app.state.settings.retention_export_days} dagen" in page.text
    assert 'href="/privacy"' in client.get("/login").text
