"""Signing in at the window: who works here, a refusal said and slowed down, the lock after
the idle time that keeps unsaved work, and what each role may start."""

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import select

from app.demo import DEMO_PASSWORD, generate_demo
from app.services.users import sign_in
from models.regions import front_anchor
from models.tables import AuditEvent, UserAccount
from tests.app.test_demo import AS_OF
from tests.ui.conftest import signed_in_as
from tests.ui.test_visit_editor import click
from tests.ui.timers import ManualTimer
from ui.actions import MainAction
from ui.main_window import MainWindow
from ui.sign_in import SignInDialog, sign_in_at_start
from ui.tasks import TaskRunner


@pytest.fixture
def clinic(db):
    """A demo clinic with its user accounts, nobody signed in yet."""
    generate_demo(db, patients=8, seed=5, as_of=AS_OF, users=True)
    return db


def sign_in_dialog(qtbot, db, **options) -> SignInDialog:
    dialog = SignInDialog(db, TaskRunner(), **options)
    qtbot.addWidget(dialog)
    dialog.open()  # never exec(): the test drives it
    return dialog


def type_and_sign_in(qtbot, dialog, username, password) -> None:
    dialog.username.setText(username)
    dialog.password.setText(password)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def failed_sign_ins(db, username):
    with db.factory() as session:
        return session.scalars(
            select(AuditEvent.details).where(
                AuditEvent.action == "sign-in-failed", AuditEvent.actor == username
            )
        ).all()


def as_if_a_while_ago(db, username) -> None:
    """The last failed sign-in happened a minute ago (the service's wait is on its clock)."""
    with db.factory.begin() as session:
        user = session.scalar(select(UserAccount).where(UserAccount.username == username))
        user.last_failed_at -= timedelta(minutes=1)


def test_sign_in_names_the_user_acting_on_the_database(qtbot, clinic):
    dialog = sign_in_dialog(qtbot, clinic, hint="Demo clinic: sign in as dana with the password aliquot-demo")
    assert dialog.hint.isVisibleTo(dialog) and "aliquot-demo" in dialog.hint.text()
    with qtbot.waitSignal(dialog.signed_in) as signed:
        type_and_sign_in(qtbot, dialog, "dana", DEMO_PASSWORD)
    assert signed.args[0].username == "dana"
    assert clinic.user is not None and clinic.user.username == "dana" and clinic.actor == "dana"
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_a_wrong_password_is_said_audited_and_the_next_try_waits(qtbot, clinic):
    ticker = ManualTimer()
    dialog = sign_in_dialog(qtbot, clinic, ticker=ticker)
    type_and_sign_in(qtbot, dialog, "dana", "not the password")
    qtbot.waitUntil(lambda: "wrong password" in dialog.message.text())
    assert clinic.user is None
    assert dialog.password.text() == ""  # typed again, not kept
    assert not dialog.sign_in_button.isEnabled() and dialog.sign_in_button.text() == "Sign in (1 s)"
    assert len(failed_sign_ins(clinic, "dana")) == 1
    ticker.fire()
    assert dialog.sign_in_button.isEnabled() and dialog.sign_in_button.text() == "Sign in"

    as_if_a_while_ago(clinic, "dana")  # the real second of the wait has passed too
    type_and_sign_in(qtbot, dialog, "dana", "still not it")  # the second failure in a row: 2 s
    qtbot.waitUntil(lambda: dialog.remaining == 2)
    assert dialog.sign_in_button.text() == "Sign in (2 s)" and not dialog.sign_in_button.isEnabled()
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)  # disabled: nothing is tried
    ticker.fire()
    assert dialog.sign_in_button.text() == "Sign in (1 s)" and not dialog.sign_in_button.isEnabled()
    ticker.fire()
    assert dialog.sign_in_button.isEnabled() and not ticker.isActive()
    assert len(failed_sign_ins(clinic, "dana")) == 2
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_a_clinic_without_accounts_opens_without_signing_in(qtbot, db):
    def never(*_args):
        raise AssertionError("a clinic without user accounts asked to sign in")

    assert sign_in_at_start(db, TaskRunner(), ask=never)
    assert db.user is None


def test_a_clinic_with_accounts_asks_first_and_quitting_stops(qtbot, clinic):
    asked = []

    def quit_at_sign_in(database, tasks, hint):
        asked.append(hint)
        return None

    assert not sign_in_at_start(clinic, TaskRunner(), ask=quit_at_sign_in)
    assert asked and "aliquot-demo" in asked[0]  # the demo clinic's accounts are said
    assert sign_in_at_start(
        clinic, TaskRunner(), ask=lambda db, tasks, hint: sign_in(db, "desk", DEMO_PASSWORD)
    )


# The window: who is signed in, the lock, the switch of user


def open_window(qtbot, db, **options) -> MainWindow:
    window = MainWindow(db, **options)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.patient_model.rowCount() > 0 and window.tasks.is_idle())
    return window


def open_new_visit(qtbot, window):
    qtbot.waitUntil(lambda: window.new_visit_button.isEnabled() and bool(window.products))
    window.new_visit_button.click()
    qtbot.waitUntil(lambda: bool(window.editors) and window.tasks.is_idle())
    editor = window.editors[-1]
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.lot_number is not None)
    return editor


def test_the_window_says_who_is_signed_in(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    assert window.user_label.text() == "Signed in: marcus (Marcus Feld, prescriber)"
    assert window.actions[MainAction.LOCK].isEnabled() and window.actions[MainAction.SWITCH_USER].isEnabled()


def test_the_idle_lock_hides_every_window_and_keeps_the_unsaved_chart(qtbot, demo_db):
    idle, ticker = ManualTimer(), ManualTimer()
    window = open_window(qtbot, demo_db, idle_timer=idle, sign_in_ticker=ticker)
    assert idle.isActive()  # armed: a clinic with accounts, someone signed in
    editor = open_new_visit(qtbot, window)
    starts = idle.starts
    click(qtbot, editor, *front_anchor("glabella"))
    assert idle.starts > starts  # input counts the idle time again
    assert editor.is_modified()
    charted = editor.document.charted()

    idle.fire()
    assert window.session.locked
    assert not window.isVisible() and not editor.isVisible()  # nothing of the charts in sight
    dialog = window.session.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.username.text() == "marcus" and dialog.username.isReadOnly()  # their unsaved work
    assert dialog.cancel_button is None
    dialog.reject()  # Escape does not unlock
    assert window.session.locked and dialog.isVisible()

    type_and_sign_in(qtbot, dialog, "marcus", "wrong password here")
    qtbot.waitUntil(lambda: "wrong password" in dialog.message.text())
    assert window.session.locked and not editor.isVisible()
    assert not dialog.sign_in_button.isEnabled()
    ticker.fire()  # the countdown's second
    as_if_a_while_ago(demo_db, "marcus")  # and the service's
    assert dialog.sign_in_button.isEnabled()
    type_and_sign_in(qtbot, dialog, "marcus", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not window.session.locked)
    assert window.isVisible() and editor.isVisible()
    assert editor in window.editors and editor.is_modified() and editor.document.charted() == charted
    assert idle.isActive()


def test_at_the_lock_someone_else_may_sign_in_when_nothing_is_unsaved(qtbot, demo_db):
    window = open_window(qtbot, demo_db, idle_timer=ManualTimer())
    window.actions[MainAction.LOCK].trigger()
    dialog = window.session.dialog
    assert not dialog.username.isReadOnly()
    type_and_sign_in(qtbot, dialog, "desk", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not window.session.locked and window.tasks.is_idle())
    assert demo_db.user.username == "desk"
    assert window.user_label.text() == "Signed in: desk (Front desk, front desk)"
    assert not window.new_visit_button.isEnabled()


def test_switching_user_is_refused_while_a_visit_holds_unsaved_changes(qtbot, demo_db):
    window = open_window(qtbot, demo_db, idle_timer=ManualTimer())
    editor = open_new_visit(qtbot, window)
    click(qtbot, editor, *front_anchor("glabella"))
    window.actions[MainAction.SWITCH_USER].trigger()
    assert not window.session.locked and "first" in window.statusBar().currentMessage()
    assert demo_db.user.username == "marcus"

    editor.undo_stack.setClean()  # nothing unsaved any more: the switch signs marcus out
    window.actions[MainAction.SWITCH_USER].trigger()
    assert window.session.locked and window.session.dialog.username.text() == ""
    qtbot.waitUntil(lambda: demo_db.user is None and window.tasks.is_idle())
    type_and_sign_in(qtbot, window.session.dialog, "admin", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not window.session.locked and window.tasks.is_idle())
    assert window.editors == []  # marcus's open visits closed for the next user
    assert window.actions[MainAction.AUDIT].isEnabled()
    assert not window.actions[MainAction.COSIGN_LIST].isEnabled()


def test_front_desk_cannot_start_a_visit(qtbot, demo_db):
    signed_in_as(demo_db, "desk")
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.history_button.isEnabled() and window.open_visit_button.isEnabled())
    assert not window.new_visit_button.isEnabled()
    assert not window.copy_visit_button.isEnabled()
    assert not window.actions[MainAction.NEW_REVIEW_VISIT].isEnabled()
    assert not window.actions[MainAction.AUDIT].isEnabled()
    assert not window.actions[MainAction.RECALL_SETTINGS].isEnabled()
    assert window.actions[MainAction.NEW_PATIENT].isEnabled()  # the front desk registers patients
    qtbot.keySequence(window, "Ctrl+N")
    window.new_visit(copy_previous=False)  # even asked directly, nothing opens
    assert window.tasks.is_idle() and window.editors == []
