"""Every service that writes says what it changed."""

from __future__ import annotations

from datetime import datetime

from app.exports.interchange import export_patient, import_document
from app.services.changes import NOTHING, Changes
from app.services.guardrails import set_guardrail
from app.services.patients import create_patient, set_archived, update_patient
from app.services.providers import create_provider, list_providers, update_provider
from app.services.templates import delete_template, rename_template, save_template
from app.services.visits import create_visit, discard_empty_draft, get_visit, replace_points, start_visit
from models.records import PatientDraft
from models.tables import AppMeta
from models.vocabulary import Sex
from tests.conftest import botox_point


def test_changes_combine_and_say_whether_recall_is_touched():
    assert not NOTHING and not NOTHING.touches_recall
    both = Changes.of_patients(1) | Changes(providers=True) | Changes.of_patients(2)
    assert both == Changes(patients=frozenset({1, 2}), providers=True) and both.touches_recall
    assert not Changes(providers=True, templates=True, guardrails=True).touches_recall
    assert Changes(intervals=frozenset({3})).touches_recall and Changes(recall_settings=True).touches_recall


def test_patient_and_visit_services_name_the_patient(db, provider):
    created = create_patient(db, PatientDraft("B-0001", "Ana", "Silva"))
    assert created.changes == Changes.of_patients(created.id) and created.chart_number == "B-0001"
    edited = update_patient(db, created.id, PatientDraft("B-0001", "Ana", "Silva", sex=Sex.FEMALE))
    assert edited.changes == Changes.of_patients(created.id)
    assert set_archived(db, created.id, False).changes == Changes.of_patients(created.id)
    visit = create_visit(db, created.id, provider.id, datetime(2026, 2, 2, 10, tzinfo=db.timezone))
    assert visit.changes == Changes.of_patients(created.id)
    saved = replace_points(db, visit.id, visit.version, [botox_point()])
    assert saved.changes == Changes.of_patients(created.id) and len(get_visit(db, visit.id).points) == 1
    opened = start_visit(db, created.id)
    assert opened.changes == Changes.of_patients(created.id)
    assert discard_empty_draft(db, opened.visit.id, opened.visit.version) == Changes.of_patients(created.id)
    assert discard_empty_draft(db, visit.id, saved.version) == NOTHING  # charted: kept


def test_providers_templates_and_rules_say_so(db, patient, provider):
    added = create_provider(db, "Sam Okafor", "MD")
    assert added.changes == Changes(providers=True)
    assert added in list_providers(db)  # what it changed is not part of the record's value
    unchanged = update_provider(db, added.id, "Sam Okafor", "MD")
    assert unchanged.changes == NOTHING
    assert update_provider(db, added.id, "Sam Okafor", "MD", active=False).changes == Changes(providers=True)
    template = save_template(db, "Forehead", [get_point(db, patient, provider)])
    assert template.changes == Changes(templates=True)
    assert rename_template(db, template.key, "Brow").changes == Changes(templates=True)
    assert delete_template(db, template.key) == Changes(templates=True)
    saved = set_guardrail(db, "toxin-4u-upper_lip", "per_site", "1-6")
    assert saved.changes == Changes(guardrails=True) and saved.per_site is not None
    assert saved.per_site.high == 6


def get_point(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, datetime(2026, 2, 3, 10, tzinfo=db.timezone))
    return replace_points(db, visit.id, visit.version, [botox_point()]).points[0]


def test_an_import_says_which_patient_it_changed(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, datetime(2026, 2, 2, 10, tzinfo=db.timezone))
    replace_points(db, visit.id, visit.version, [botox_point()])
    document = export_patient(db, patient.chart_number)
    again = import_document(db, document, "again.json")
    assert again.visits_added == 0 and not again.changes.patients
    with db.factory.begin() as session:
        assert session.get(AppMeta, "recall_summary") is not None
