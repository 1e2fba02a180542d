"""The clinic's settings, declared once and read tolerantly: what another version wrote
never stops this one."""

from __future__ import annotations

import json
import logging

import pytest

from app.services.changes import Changes
from app.services.settings import (
    PROFILE_KEY,
    RECALL_KEY,
    TIMEZONE_KEY,
    ClinicProfile,
    load_clinic_profile,
    load_recall_settings,
    read_setting,
    save_clinic_profile,
    save_recall_settings,
    set_clinic_timezone,
    write_setting,
)
from models.errors import ValidationError
from models.recall import RecallSettings
from models.tables import AppMeta


def stored(db, key: str) -> str | None:
    with db.factory() as session:
        row = session.get(AppMeta, key)
        return row.value if row is not None else None


def store(db, key: str, value: str) -> None:
    with db.factory.begin() as session:
        session.merge(AppMeta(key=key, value=value))


def test_a_missing_setting_and_missing_keys_take_their_defaults(db):
    assert load_recall_settings(db) == RecallSettings()
    store(db, RECALL_KEY, json.dumps({"lead_days": 21}))
    assert load_recall_settings(db) == RecallSettings(lead_days=21)


def test_a_key_from_a_newer_version_is_ignored_and_kept_on_save(db):
    store(db, RECALL_KEY, json.dumps({"lead_days": 21, "sms_reminders": {"days": 3}}))
    assert load_recall_settings(db) == RecallSettings(lead_days=21)  # no TypeError
    save_recall_settings(db, RecallSettings(lead_days=7))
    assert json.loads(stored(db, RECALL_KEY) or "") == {
        "lead_days": 7,
        "review_days": 14,
        "review_expires_days": 60,
        "lapsed_after_days": 365,
        "sms_reminders": {"days": 3},
    }


def test_a_wrong_typed_value_takes_its_default_and_is_logged(db, caplog):
    store(db, RECALL_KEY, json.dumps({"lead_days": "soon", "review_days": None, "lapsed_after_days": True}))
    with caplog.at_level(logging.WARNING, logger="app.services.settings"):
        settings = load_recall_settings(db)
    assert settings == RecallSettings(review_days=None)  # None is a valid review delay
    assert "lead_days" in caplog.text and "lapsed_after_days" in caplog.text
    store(db, PROFILE_KEY, json.dumps({"name": 42, "phone": "+44 20 7946 0000"}))
    assert load_clinic_profile(db) == ClinicProfile(phone="+44 20 7946 0000")


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"text"', "null"])
def test_a_setting_that_is_not_an_object_takes_every_default(text, caplog):
    with caplog.at_level(logging.WARNING, logger="app.services.settings"):
        assert read_setting(RecallSettings, RECALL_KEY, text) == RecallSettings()
    assert RECALL_KEY in caplog.text


def test_write_setting_keeps_unknown_keys_and_replaces_known_ones():
    text = write_setting(RecallSettings(lead_days=3), json.dumps({"lead_days": 99, "later": [1]}))
    assert json.loads(text)["lead_days"] == 3 and json.loads(text)["later"] == [1]
    assert read_setting(RecallSettings, RECALL_KEY, text) == RecallSettings(lead_days=3)


def test_saving_settings_says_what_changed(db):
    assert save_recall_settings(db, RecallSettings()) == Changes()  # nothing new
    assert save_recall_settings(db, RecallSettings(lead_days=30)) == Changes(recall_settings=True)
    assert save_recall_settings(db, RecallSettings(lead_days=30, review_days=7)) == Changes(
        recall_settings=True, recall_rules=True
    )
    profile = ClinicProfile(name="Clínica Aurora")
    assert save_clinic_profile(db, profile) == Changes(clinic=True)
    assert load_clinic_profile(db) == profile
    assert set_clinic_timezone(db, "America/New_York") == Changes(clinic=True, recall_rules=True)
    assert stored(db, TIMEZONE_KEY) == "America/New_York" and db.timezone.key == "America/New_York"
    with pytest.raises(ValidationError, match="not a time zone"):
        set_clinic_timezone(db, "Mars/Olympus")
    with pytest.raises(ValidationError, match="lead days"):
        save_recall_settings(db, RecallSettings(lead_days=-1))


def test_the_profile_keeps_what_a_newer_version_added(db):
    store(db, PROFILE_KEY, json.dumps({"name": "Old", "website": "https://example.org"}))
    save_clinic_profile(db, ClinicProfile(name="New"))
    assert json.loads(stored(db, PROFILE_KEY) or "")["website"] == "https://example.org"
    assert load_clinic_profile(db).name == "New"
