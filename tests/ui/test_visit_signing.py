"""Signing in the visit editor, amending a signed visit, co-signing from the list, and
the audit window: each checked in the database, not only on the screen."""

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from app.services.catalogue import list_products
from app.services.patients import get_patient, search_patients
from app.services.providers import list_providers
from app.services.signing import awaiting_cosign
from app.services.visits import get_visit, open_visit, start_visit
from models.regions import front_anchor
from models.tables import Visit
from models.vocabulary import VisitStatus
from tests.conftest import snapshot
from tests.ui.conftest import signed_in_as
from tests.ui.test_visit_editor import click
from ui.audit_window import INTACT_STYLE, AuditWindow
from ui.cosign_window import CosignWindow
from ui.main_window import MainWindow
from ui.visit_editor import VisitEditor


@pytest.fixture
def confirmed(monkeypatch):
    """Every "Sign the visit?" and "Co-sign?" answered yes; the questions are kept."""
    asked = []

    def yes(cls, parent, question):
        asked.append(question)
        return True

    monkeypatch.setattr(VisitEditor, "ask_sign", classmethod(yes))
    monkeypatch.setattr(CosignWindow, "ask_cosign", classmethod(yes))
    return asked


def editor_of(qtbot, db, patient, opened, **options) -> VisitEditor:
    editor = VisitEditor(
        db,
        patient,
        opened.visit,
        list_products(db.factory),
        opened.providers,
        opened.previous,
        opened.templates,
        created=opened.created,
        **options,
    )
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(editor.tasks.is_idle)
    return editor


def own_new_visit(qtbot, db) -> VisitEditor:
    """A new visit of the signed-in prescriber's own (only they may sign it)."""
    patient = search_patients(db)[0]
    editor = editor_of(qtbot, db, patient, start_visit(db, patient.id, provider_id=db.user.provider_id))
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.lot_number is not None)
    return editor


def signed_visit_of(db, provider_id):
    with db.factory() as session:
        return session.scalars(
            select(Visit)
            .where(Visit.status == VisitStatus.SIGNED, Visit.provider_id == provider_id)
            .where(~Visit.id.in_(select(Visit.amends_visit_id).where(Visit.amends_visit_id.is_not(None))))
            .order_by(Visit.id.desc())
        ).first()


def test_signing_saves_first_then_signs_and_locks(qtbot, demo_db, confirmed):
    editor = own_new_visit(qtbot, demo_db)
    assert editor.sign_action.isEnabled()
    for code in ("procerus", "corrugator_l"):
        click(qtbot, editor, *front_anchor(code))
    editor.consent.setChecked(True)
    assert editor.is_modified()

    editor.sign_action.trigger()
    qtbot.waitUntil(lambda: editor.locked and editor.tasks.is_idle())
    stored = get_visit(demo_db, editor.visit.id)
    assert stored.status is VisitStatus.SIGNED and len(stored.points) == 2
    signature = stored.signature
    assert signature is not None and signature.signer.username == "marcus"
    assert len(confirmed) == 1 and "2 injection sites" in confirmed[0]
    shown = editor.signature_label.text()
    assert "Signed by Marcus Feld MD" in shown and signature.content_hash[:12] in shown
    assert editor.signature_label.isVisibleTo(editor) and not editor.missing_panel.isVisibleTo(editor)
    assert "signed, read-only" in editor.windowTitle()
    assert not editor.sign_action.isEnabled() and not editor.save_action.isEnabled()
    assert editor.amend_action.isEnabled()


def test_an_incomplete_visit_lists_what_is_missing_and_changes_nothing(qtbot, demo_db, confirmed):
    editor = own_new_visit(qtbot, demo_db)  # saved as made: no consent recorded
    before = snapshot(demo_db)
    editor.sign_action.trigger()
    qtbot.waitUntil(lambda: editor.missing_panel.isVisibleTo(editor))
    assert "consent is not recorded" in editor.missing_panel.text()
    assert "missing" in editor.statusBar().currentMessage()
    assert confirmed == []  # never asked
    assert not editor.locked and get_visit(demo_db, editor.visit.id).status is VisitStatus.DRAFT
    assert snapshot(demo_db) == before


def test_another_injectors_draft_cannot_be_signed_here(qtbot, demo_db):
    patient = search_patients(demo_db)[0]
    dana = signed_in_as(demo_db, "dana")
    signed_in_as(demo_db, "marcus")  # the prescriber charts another injector's visit
    priya = next(
        p for p in list_providers(demo_db) if p.id not in (dana.provider_id, demo_db.user.provider_id)
    )
    opened = start_visit(demo_db, patient.id, provider_id=priya.id)
    signed_in_as(demo_db, "dana")
    editor = editor_of(qtbot, demo_db, patient, opened)
    assert editor.locked and not editor.sign_action.isEnabled()
    assert "charts their own visits" in editor.locked_banner.text()


def test_amend_opens_a_copy_and_the_original_stays_read_only(qtbot, demo_db):
    original = signed_visit_of(demo_db, demo_db.user.provider_id)
    patient = next(p for p in search_patients(demo_db) if p.id == original.patient_id)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    editor = window._open_editor(patient, open_visit(demo_db, original.id))
    qtbot.waitUntil(editor.tasks.is_idle)
    assert editor.locked and editor.amend_action.isEnabled()
    assert "Signed by" in editor.signature_label.text()

    editor.amend_action.trigger()
    dialog = editor.signing.amend_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.reason_edit, "lot number mistyped")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.editors) == 2 and window.tasks.is_idle())

    amendment = window.editors[1]
    stored = get_visit(demo_db, amendment.visit.id)
    assert stored.status is VisitStatus.DRAFT and stored.amends_visit_id == original.id
    assert stored.amendment_reason == "lot number mistyped"
    assert f"Amendment of visit {original.id}</b> — lot number mistyped" in amendment.header.text()
    assert not amendment.locked and len(amendment.document.charted()) == len(stored.points)
    assert editor.isVisible() and editor.locked  # the original stays open, as it was
    assert get_visit(demo_db, original.id).status is VisitStatus.SIGNED
    editor.signing.load_trail()
    qtbot.waitUntil(lambda: editor.trail_label.isVisibleTo(editor))
    assert f"amended by <b>visit {stored.id}</b>" in editor.trail_label.text()


def test_cosigning_from_the_list_stores_the_cosignature(qtbot, demo_db, confirmed):
    waiting = awaiting_cosign(demo_db)
    assert waiting
    window = CosignWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == len(waiting))
    first = window.chosen()
    assert first is not None and first.visit_id == waiting[0].visit_id
    qtbot.mouseClick(window.cosign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(waiting) - 1 and window.tasks.is_idle())
    signature = get_visit(demo_db, first.visit_id).signature
    assert signature is not None and signature.cosigner is not None
    assert signature.cosigner.username == "marcus"
    assert "co-signed by Marcus Feld MD" in window.message.text()
    assert confirmed and str(first.visit_id) in confirmed[0]


def test_opening_from_the_list_shows_the_signed_visit_read_only(qtbot, demo_db):
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show_cosign_list()
    listing = window.cosign_window
    qtbot.waitUntil(lambda: listing.model.rowCount() > 0)
    chosen = listing.chosen()
    listing.open_button.click()
    qtbot.waitUntil(lambda: bool(window.editors) and window.tasks.is_idle())
    editor = window.editors[0]
    assert editor.visit.id == chosen.visit_id and editor.locked
    assert editor.patient == get_patient(demo_db, chosen.chart_number)


def test_the_audit_window_lists_events_and_verifies_the_trail(qtbot, demo_db):
    signed_in_as(demo_db, "admin")
    window = AuditWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() > 0)
    actions = {window.model.record(row).action for row in range(window.model.rowCount())}
    assert {"sign-in", "sign", "create"} <= actions
    assert window.model.record(0).actor == "admin"  # newest first: admin's sign-in

    window.user.setText("marcus")
    window.show_button.click()
    qtbot.waitUntil(
        lambda: (
            window.tasks.is_idle()
            and all(window.model.record(r).actor == "marcus" for r in range(window.model.rowCount()))
        )
    )
    assert window.model.rowCount() > 0

    window.verify_button.click()
    qtbot.waitUntil(lambda: "intact" in window.verdict.text())
    assert window.verdict.styleSheet() == INTACT_STYLE


def test_only_admins_read_the_trail(qtbot, demo_db):
    window = AuditWindow(demo_db)  # the prescriber
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: "Not shown" in window.count.text())
    assert "cannot read the audit trail" in window.count.text() and window.model.rowCount() == 0
