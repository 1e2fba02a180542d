"""Injectors: registered, corrected, taken off the list without losing what they charted."""

import json

import pytest
from sqlalchemy import select

from app.services.providers import create_provider, list_providers, update_provider
from app.services.visits import create_visit, get_visit, open_visit, start_visit
from models.errors import ConflictError, NotFoundError, ValidationError
from models.tables import AuditEvent
from tests.conftest import at, snapshot


def test_create_and_correct_an_injector(db):
    dana = create_provider(db, "  Dana   Reyes ", "RN", " RN-448120 ")
    assert (dana.display_name, dana.credentials, dana.licence_number, dana.active) == (
        "Dana Reyes",
        "RN",
        "RN-448120",
        True,
    )
    fixed = update_provider(db, dana.id, "Dana Reyes-Okafor", "NP", "", active=True)
    assert (fixed.display_name, fixed.credentials, fixed.licence_number) == ("Dana Reyes-Okafor", "NP", None)
    with db.factory() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "provider", AuditEvent.action == "update")
        ).one()
    assert json.loads(event.details) == {
        "display_name": ["Dana Reyes", "Dana Reyes-Okafor"],
        "credentials": ["RN", "NP"],
        "licence_number": ["RN-448120", None],
    }
    with db.factory() as session:
        created = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "provider", AuditEvent.action == "create")
        ).one()
    assert json.loads(created.details)["licence_number"] == "RN-448120"


def test_names_are_unique_ignoring_case_and_accents(db):
    create_provider(db, "Sofía Lindqvist", "DDS")
    lee = create_provider(db, "Lee Park", "NP")
    before = snapshot(db)
    with pytest.raises(ConflictError, match="already registered"):
        create_provider(db, "sofia lindqvist")
    with pytest.raises(ConflictError, match="already registered"):
        update_provider(db, lee.id, "SOFIA LINDQVIST", "NP")
    with pytest.raises(ValidationError, match="name is required"):
        update_provider(db, lee.id, "   ", "NP")
    with pytest.raises(ValidationError, match="licence number"):
        update_provider(db, lee.id, "Lee Park", "NP", "x" * 61)
    with pytest.raises(NotFoundError):
        update_provider(db, 999, "Nobody")
    assert snapshot(db) == before
    # the same injector may change the case of their own name
    assert update_provider(db, lee.id, "LEE PARK", "NP").display_name == "LEE PARK"


def test_an_injector_off_the_list_keeps_their_visits(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    lee = create_provider(db, "Lee Park", "NP")
    update_provider(db, provider.id, provider.display_name, provider.credentials, active=False)
    assert [p.display_name for p in list_providers(db)] == ["Lee Park"]
    assert {p.display_name for p in list_providers(db, include_inactive=True)} == {"Lee Park", "Dana Reyes"}
    # opening the old visit offers its own injector, so the editor never swaps them silently
    opened = open_visit(db, visit.id)
    assert provider.id in [p.id for p in opened.providers]
    assert get_visit(db, visit.id).provider_name == "Dana Reyes"
    # a new visit goes to an injector still on the list, not to the last visit's
    new = start_visit(db, patient.id)
    assert new.visit.provider_id == lee.id
    assert [p.id for p in new.providers] == [lee.id]


def test_no_injector_no_new_visit(db, patient, provider):
    update_provider(db, provider.id, provider.display_name, active=False)
    with pytest.raises(ConflictError, match="register an injector"):
        start_visit(db, patient.id)


@pytest.mark.parametrize("name", ["Dana\x00Reyes", "Dana\u202eReyes", "Dana\x1b[31mReyes"])
def test_an_injector_name_with_control_characters_is_refused(db, name):
    with pytest.raises(ValidationError, match="provider's name holds"):
        create_provider(db, name, "RN")
    assert list_providers(db) == []
