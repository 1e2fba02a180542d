"""Things once written in two or three places, now written once."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.providers import create_provider, update_provider
from app.services.templates import rename_template, save_template
from app.storage.files import backup_path
from models.chart import Pen
from models.errors import ValidationError
from models.records import DRAFT_MARK, PatientDraft, status_words
from models.validation import check_patient
from models.vocabulary import DoseUnit, View, VisitStatus


def test_every_backup_is_named_one_way():
    moment = datetime(2025, 1, 10, 10, 30, 5)
    assert backup_path(Path("/x/clinic.db"), moment=moment) == Path("/x/clinic.backup.20250110-103005.db")
    assert backup_path(Path("clinic.db"), "before-0007", moment) == Path(
        "clinic.before-0007.20250110-103005.db"
    )


def test_the_draft_mark_is_one_text():
    assert status_words(VisitStatus.DRAFT) == DRAFT_MARK == "DRAFT – not signed"
    assert status_words(VisitStatus.SIGNED) == "signed"


def test_the_alerts_are_checked_with_the_patient():
    draft = PatientDraft("A-1", "Zoë", "Ng", alerts="pregnant\nno toxin")
    check_patient(draft, date(2025, 1, 1))  # several lines are kept
    with pytest.raises(ValidationError, match="the alerts holds a control character") as error:
        check_patient(PatientDraft("A-1", "Zoë", "Ng", alerts="bad\x00"), date(2025, 1, 1))
    assert error.value.field == "alerts"


def test_names_follow_one_rule_for_injectors_and_templates(db):
    provider = create_provider(db, "  Dana   Reyes ", "  RN  ")
    assert (provider.display_name, provider.credentials) == ("Dana Reyes", "RN")
    assert update_provider(db, provider.id, "Dana Reyes", " NP\t").credentials == "NP"
    with pytest.raises(ValidationError, match="the provider's name is required"):
        create_provider(db, "   ")
    point = Pen("Botox Cosmetic", DoseUnit.UNITS, Decimal(4)).point_at(View.FRONT, 0.5, 0.37, "glabella")
    template = save_template(db, "  Full   face ", [point])
    assert template.name == "Full face"
    with pytest.raises(ValidationError, match="give the template a name"):
        rename_template(db, template.key, " ")
    with pytest.raises(ValidationError, match="template name holds a control character"):
        rename_template(db, template.key, "Full\x00face")
