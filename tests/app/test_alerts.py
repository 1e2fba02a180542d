"""A patient's alerts (pregnancy, breast-feeding, blood thinners…): stored by the patient
services under the medical notes' text rule, carried by the interchange file (absent means
none, so aliquot.patient/1 files stay valid) and printed beside the allergies."""

import copy
from dataclasses import replace

import pytest

from app.exports.interchange import dumps, export_patient, import_document
from app.exports.records import history_pdf, visit_record_pdf
from app.services.patients import create_patient, get_patient, search_patients, update_patient
from app.services.visits import list_visits
from models.errors import ValidationError
from models.records import PatientDraft
from tests.app.test_interchange import SPEC_EXAMPLE
from tests.app.test_records import text_of
from tests.conftest import snapshot

ALERTS = "pregnant — 20 weeks\n\ton warfarin"


def draft(**values) -> PatientDraft:
    return PatientDraft("A-0001", "Zoë", "Ångström-Núñez", **values)


def test_alerts_are_stored_as_typed_and_updated(db):
    created = create_patient(db, draft(allergies="lidocaine", alerts=ALERTS))
    assert created.alerts == ALERTS and get_patient(db, "A-0001").alerts == ALERTS
    updated = update_patient(db, created.id, draft(allergies="lidocaine", alerts="breast-feeding"))
    assert updated.alerts == "breast-feeding"
    assert search_patients(db, "A-0001")[0].alerts == "breast-feeding"


def test_alerts_default_to_none(db, patient):
    assert patient.alerts == "" and get_patient(db, patient.chart_number).alerts == ""


@pytest.mark.parametrize("text", ["pregnant\x00", "on warfarin\x1b[31m", "\ud800"])
def test_alerts_refuse_what_no_person_types(db, patient, text):
    before = snapshot(db)
    with pytest.raises(ValidationError) as refused:
        update_patient(db, patient.id, draft(alerts=text))
    assert refused.value.field == "alerts"
    with pytest.raises(ValidationError):
        create_patient(db, replace(draft(alerts=text), chart_number="A-0002"))
    assert snapshot(db) == before


def test_a_version_1_file_without_alerts_still_imports(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    assert "alerts" not in document["patient"]
    import_document(db, document, "zoe.json")
    assert get_patient(db, "A-0001").alerts == ""
    assert "alerts" not in export_patient(db, "A-0001")["patient"]  # still readable by older versions


def test_alerts_round_trip_through_the_interchange_file(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"]["alerts"] = ALERTS
    import_document(db, document, "zoe.json")
    assert get_patient(db, "A-0001").alerts == ALERTS
    exported = export_patient(db, "A-0001")
    assert exported["patient"]["alerts"] == ALERTS
    assert exported["format"] == "aliquot.patient/1"
    assert import_document(db, copy.deepcopy(exported), "again.json").visits_added == 0
    assert dumps(export_patient(db, "A-0001")) == dumps(exported)


def test_an_import_refuses_control_characters_in_the_alerts(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"]["alerts"] = "pregnant\x07"
    with pytest.raises(ValidationError, match="patient, alerts: the alerts holds"):
        import_document(db, document, "zoe.json")
    assert search_patients(db, include_archived=True) == []


def test_the_record_prints_the_alerts_beside_the_allergies(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(allergies="lidocaine", alerts="pregnant — 20 weeks")
    import_document(db, document, "zoe.json")
    [visit] = list_visits(db, "A-0001")
    text = "\n".join(text_of(visit_record_pdf(db, visit.id)))
    assert "Allergies: lidocaine" in text and "Alerts: pregnant — 20 weeks" in text
    history = "\n".join(text_of(history_pdf(db, "A-0001")))
    assert "alerts: pregnant — 20 weeks" in history


def test_the_record_says_when_no_alerts_are_recorded(db):
    import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    [visit] = list_visits(db, "A-0001")
    assert "Alerts: none recorded" in "\n".join(text_of(visit_record_pdf(db, visit.id)))
