"""The visit editor driven with the mouse and keyboard, as an injector drives it."""

from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt

from app.services.catalogue import list_products
from app.services.patients import search_patients
from app.services.visits import get_visit, start_visit
from models.chart import VisitFields
from models.face_map import face_map
from models.regions import front_anchor
from models.templates import bundled_templates
from models.vocabulary import View
from tests.ui.timers import ManualTimer
from ui.commands import ChangePoints
from ui.face_scene import to_scene
from ui.visit_editor import VisitEditor


def new_visit_editor(qtbot, db, patient, copy_previous=False, **options) -> VisitEditor:
    """A new visit of the patient in its editor, shown, as "New visit" opens it (`options`:
    the editor's `tasks=` runner or `autosave_timer=`)."""
    opened = start_visit(db, patient.id, copy_previous=copy_previous)
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
    if opened.copied_points:
        editor.copy_points(opened.copied_points)
    editor.show()
    return editor


def open_editor(qtbot, db, copy_previous=False, patient_index=0, **options):
    editor = new_visit_editor(qtbot, db, search_patients(db)[patient_index], copy_previous, **options)
    qtbot.waitUntil(
        lambda: editor.pen is not None and editor.pen.lot_number is not None and editor.tasks.is_idle()
    )
    return editor


@pytest.fixture
def editor(qtbot, demo_db):
    return open_editor(qtbot, demo_db)


def view_point(editor, x, y) -> QPoint:
    return editor.face_view.mapFromScene(to_scene(x, y))


def click(qtbot, editor, x, y, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(
        editor.face_view.viewport(), Qt.MouseButton.LeftButton, modifier, view_point(editor, x, y)
    )


def test_clicks_place_points_with_the_pen_and_save(qtbot, editor, demo_db):
    anchors = [front_anchor(code) for code in ("procerus", "corrugator_l", "corrugator_r")]
    for x, y in anchors:
        click(qtbot, editor, x, y)
    assert [p.region_code for p in editor.document.charted()] == ["procerus", "corrugator_l", "corrugator_r"]
    assert editor.is_modified()
    lot = editor.pen.lot_number
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    saved = get_visit(demo_db, editor.visit.id)
    assert [(p.region_code, p.product_name, p.amount, p.aliquots, p.lot_number) for p in saved.points] == [
        (code, "Botox Cosmetic", Decimal(4), 1, lot) for code in ("procerus", "corrugator_l", "corrugator_r")
    ]
    assert "saved" in editor.windowTitle()


def test_undo_and_redo(qtbot, editor):
    click(qtbot, editor, *front_anchor("glabella"))
    click(qtbot, editor, *front_anchor("chin"))
    qtbot.keySequence(editor, "Ctrl+Z")
    assert [p.region_code for p in editor.document.charted()] == ["glabella"]
    qtbot.keySequence(editor, "Ctrl+Shift+Z")
    assert [p.region_code for p in editor.document.charted()] == ["glabella", "chin"]


def test_a_drag_is_one_undo_step(qtbot, editor):
    x, y = front_anchor("masseter_l")
    click(qtbot, editor, x, y)
    [uid] = list(editor.scene.markers)
    placed = editor.document.point(uid)
    viewport = editor.face_view.viewport()
    start = view_point(editor, x, y)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + QPoint(0, -4 * step))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(0, -20))
    moved = editor.document.point(uid)
    assert moved.y < y and editor.undo_stack.count() == 2
    assert isinstance(editor.undo_stack.command(1), ChangePoints)
    editor.undo_stack.undo()
    assert editor.document.point(uid) == placed


def test_delete_and_rubber_band_selection(qtbot, editor):
    for code in ("crows_feet_l", "crows_feet_r", "chin"):
        click(qtbot, editor, *front_anchor(code))
    editor.scene.select_uids([uid for uid, p in editor.document.items() if p.region_code != "chin"])
    qtbot.keyClick(editor.face_view, Qt.Key.Key_Delete)
    assert [p.region_code for p in editor.document.charted()] == ["chin"]


def test_mirror_copies_the_selection_to_the_other_side(qtbot, editor):
    click(qtbot, editor, *front_anchor("crows_feet_l"))
    editor.select_all()
    qtbot.keySequence(editor, "Ctrl+M")
    left, right = editor.document.charted()
    assert right.region_code == "crows_feet_r" and right.x == pytest.approx(1 - left.x)
    assert right.amount == left.amount and right.lot_number == left.lot_number


FOUR_UNIT = ("Botox Cosmetic", "Xeomin", "Jeuveau", "Letybo")
# The label patterns, written out independently of resources/templates.json:
# template -> product -> (sites per region, dose per site).
LABEL = {
    "glabella": {
        **{p: ({"procerus": 1, "corrugator_l": 2, "corrugator_r": 2}, 4) for p in FOUR_UNIT},
        "Dysport": ({"procerus": 1, "corrugator_l": 2, "corrugator_r": 2}, 10),
        "Daxxify": ({"procerus": 1, "corrugator_l": 2, "corrugator_r": 2}, 8),
    },
    "lateral_canthal": {p: ({"crows_feet_l": 3, "crows_feet_r": 3}, 4) for p in FOUR_UNIT},
    "forehead": {p: ({"forehead_l": 2, "forehead": 1, "forehead_r": 2}, 4) for p in FOUR_UNIT},
}


@pytest.mark.parametrize("template", bundled_templates(), ids=lambda t: t.key)
def test_each_template_places_exactly_the_label_doses(qtbot, editor, template):
    from collections import Counter

    assert set(template.doses) == set(LABEL[template.key])
    for product, (sites, dose) in LABEL[template.key].items():
        editor.undo_stack.clear()
        editor.document.remove([uid for uid, _ in editor.document.items()])
        editor.pen_panel.choose_product(product)
        qtbot.waitUntil(lambda product=product: editor.pen.product_name == product and editor.tasks.is_idle())
        editor.template_actions[template.key].trigger()  # the toolbar button / Alt+n
        points = editor.document.charted()
        assert Counter(p.region_code for p in points) == Counter(sites)
        assert all(p.amount == dose and p.aliquots == 1 and p.product_name == product for p in points)
        assert sum(p.amount for p in points) == dose * sum(sites.values())
        editor.undo_stack.undo()  # one template, one undo step
        assert len(editor.document) == 0


def test_template_sites_fall_in_their_regions():
    for template in bundled_templates():
        regions = face_map(template.view)
        for site in template.sites:
            assert regions.region_at(site.x, site.y) == site.region_code, (template.key, site)


def test_live_totals_show_left_against_right(qtbot, editor):
    x, y = front_anchor("crows_feet_l")
    click(qtbot, editor, x, y - 0.02)
    click(qtbot, editor, x, y + 0.02)  # a click on an existing marker would select it instead
    click(qtbot, editor, *front_anchor("crows_feet_r"))
    side = editor.totals.side_model.record(0)
    assert (side.left, side.right, side.left_minus_right) == (Decimal(8), Decimal(4), Decimal(4))
    assert editor.totals.product_model.record(0).amount == Decimal(12)


def test_a_new_visit_opens_by_the_usual_injector_now_with_the_previous_visit_as_ghosts(qtbot, demo_db):
    from datetime import UTC, datetime, timedelta

    from app.services.visits import previous_visit
    from models.vocabulary import VisitStatus

    editor = open_editor(qtbot, demo_db)
    stored = get_visit(demo_db, editor.visit.id)
    previous = previous_visit(demo_db, editor.patient.id, stored.started_at)
    # a draft of now, by the injector of the patient's last visit, nothing else filled in
    assert stored.status is VisitStatus.DRAFT and stored.points == []
    assert timedelta(0) <= datetime.now(UTC) - stored.started_at < timedelta(minutes=5)
    assert stored.provider_id == previous.provider_id
    assert editor.fields() == VisitFields(previous.provider_id, stored.started_at, "", "", False)
    # the form shows it: the injector chosen, the time on the clinic's clock to the minute
    assert editor.provider.currentData() == previous.provider_id
    shown = stored.started_at.astimezone(demo_db.timezone).replace(second=0, tzinfo=None)
    assert editor.started.moment() == shown
    assert editor.concern.text() == editor.notes.text() == "" and not editor.consent.isChecked()
    assert not editor.is_modified() and editor.undo_stack.count() == 0 and len(editor.document) == 0
    assert "(saved)" in editor.windowTitle() and editor.save_action.isEnabled()
    assert editor.pen.product_name == "Botox Cosmetic" and editor.pen.amount == Decimal(4)
    front_ghosts = [p for p in editor.scenes[View.FRONT].ghosts]
    assert front_ghosts, "the demo patient's previous visit is shown faintly"
    assert all(not g.flags() & g.GraphicsItemFlag.ItemIsSelectable for g in front_ghosts)
    editor.ghost_action.trigger()
    assert not any(g.isVisible() for g in front_ghosts)


def test_copy_previous_visit_asks_for_current_lots(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db, copy_previous=True)
    previous = editor.scenes[View.FRONT].ghosts
    copied = editor.document.charted()
    assert copied and len(copied) >= len(previous)
    assert all(p.lot_number is None for p in copied)
    assert "no lot recorded" in editor.totals.warnings.text()
    first_product = copied[0].product_name
    editor.scene.select_uids([uid for uid, p in editor.document.items() if p.product_name == first_product])
    qtbot.waitUntil(lambda: editor.inspector.lot.count() > 1)
    lot_index = next(
        i for i in range(editor.inspector.lot.count()) if isinstance(editor.inspector.lot.itemData(i), tuple)
    )
    editor.inspector.lot.setCurrentIndex(lot_index)
    editor.inspector.lot.activated.emit(lot_index)
    chosen = [p for p in editor.document.charted() if p.product_name == first_product]
    assert all(p.lot_number for p in chosen)


def test_closing_with_unsaved_changes_asks(qtbot, editor, monkeypatch):
    click(qtbot, editor, *front_anchor("chin"))
    asked = []
    monkeypatch.setattr(VisitEditor, "ask_discard", classmethod(lambda cls, parent: asked.append(1) or False))
    editor.close()
    assert asked and editor.isVisible()


def test_totals_models_pass_the_model_tester(qtmodeltester, qtbot, editor):
    click(qtbot, editor, *front_anchor("chin"))
    for model in (editor.totals.product_model, editor.totals.side_model, editor.totals.region_model):
        qtmodeltester.check(model)


def test_autosave_and_recovery_after_a_crash(qtbot, demo_db, monkeypatch):
    from app.storage.autosave import pending_recoveries
    from ui.main_window import MainWindow

    timer = ManualTimer()
    editor = open_editor(qtbot, demo_db, autosave_timer=timer)
    assert editor.autosave_timer is timer and not timer.isActive()
    click(qtbot, editor, *front_anchor("glabella"))
    click(qtbot, editor, *front_anchor("chin"))
    editor.concern.setText("frown lines")
    editor.concern.textEdited.emit("frown lines")
    assert timer.isActive() and pending_recoveries(demo_db) == []  # written once the edits pause
    timer.fire()
    assert len(pending_recoveries(demo_db)) == 1
    charted = editor.document.charted()
    editor.hide()  # the program "dies" here: the editor is never closed, nothing is saved

    offered = []
    monkeypatch.setattr(
        MainWindow, "ask_recover", classmethod(lambda cls, parent, text: offered.append(text) or True)
    )
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(window.editors) and window.tasks.is_idle())
    [recovered] = window.editors
    qtbot.addWidget(recovered)
    assert "2 points" in offered[0]
    assert recovered.visit.id == editor.visit.id
    assert recovered.document.charted() == charted
    assert recovered.concern.text() == "frown lines" and recovered.is_modified()
    recovered.save_action.trigger()
    qtbot.waitUntil(lambda: not recovered.is_modified())
    assert pending_recoveries(demo_db) == []
    assert [p.region_code for p in get_visit(demo_db, editor.visit.id).points] == ["glabella", "chin"]


def test_a_clinic_template_is_saved_from_a_chart_and_reused(qtbot, demo_db, monkeypatch):
    editor = open_editor(qtbot, demo_db)
    editor.pen_panel.choose_product("Dysport")
    qtbot.waitUntil(
        lambda: editor.pen.product_name == "Dysport" and editor.pen.lot_number and editor.tasks.is_idle()
    )
    for code in ("masseter_l", "masseter_r"):
        click(qtbot, editor, *front_anchor(code))
    monkeypatch.setattr(
        VisitEditor, "ask_template_name", classmethod(lambda cls, parent: "Masseter (Dysport)")
    )
    editor.save_template_action.trigger()
    qtbot.waitUntil(lambda: len(editor.clinic_templates) == 1 and editor.tasks.is_idle())

    other = open_editor(qtbot, demo_db, patient_index=1)
    [template] = other.clinic_templates  # shared through the database
    assert template.name == "Masseter (Dysport)"
    assert other.clinic_menu.actions()[0].text() == "Masseter (Dysport)"
    other.apply_template(template)
    placed = other.document.charted()
    assert [(p.region_code, p.product_name, p.amount) for p in placed] == [
        ("masseter_l", "Dysport", Decimal(10)),
        ("masseter_r", "Dysport", Decimal(10)),
    ]
    assert all(p.lot_number is None for p in placed)  # the pen holds Botox: Dysport lot to choose


def test_clinic_templates_are_renamed_and_deleted_from_the_menu(qtbot, demo_db, monkeypatch):
    from app.services.templates import clinic_templates, rename_template, save_template
    from app.services.visits import list_visits
    from models.errors import ConflictError, NotFoundError
    from tests.conftest import snapshot

    patient = search_patients(demo_db)[0]
    charted = get_visit(demo_db, list_visits(demo_db, patient.chart_number)[0].id).points
    first = save_template(demo_db, "Masseter", charted[:2])
    save_template(demo_db, "Chin", charted[2:3])
    editor = open_editor(qtbot, demo_db)
    menu = {a.text(): a for a in editor.clinic_menu.actions()}
    rename = {a.text(): a for a in menu["Rename"].menu().actions()}
    monkeypatch.setattr(
        VisitEditor, "ask_template_name", classmethod(lambda cls, parent, current="": "Masseter (light)")
    )
    rename["Masseter"].trigger()
    qtbot.waitUntil(lambda: "Masseter (light)" in [t.name for t in editor.clinic_templates])
    assert [t.name for t in clinic_templates(demo_db)] == ["Chin", "Masseter (light)"]
    assert [a.text() for a in editor.clinic_menu.actions()][:2] == ["Chin", "Masseter (light)"]

    before = snapshot(demo_db)
    with pytest.raises(ConflictError, match="already exists"):
        rename_template(demo_db, first.key, "chin")
    assert snapshot(demo_db) == before

    asked = []
    monkeypatch.setattr(
        VisitEditor, "ask_delete_template", classmethod(lambda cls, parent, name: asked.append(name) or True)
    )
    menu = {a.text(): a for a in editor.clinic_menu.actions()}
    {a.text(): a for a in menu["Delete"].menu().actions()}["Chin"].trigger()
    qtbot.waitUntil(lambda: [t.name for t in editor.clinic_templates] == ["Masseter (light)"])
    assert asked == ["Chin"] and [t.name for t in clinic_templates(demo_db)] == ["Masseter (light)"]
    with pytest.raises(NotFoundError, match="no longer exists"):
        rename_template(demo_db, "clinic-999", "x")


def test_a_new_visit_closed_empty_leaves_nothing_behind(qtbot, demo_db):
    from app.services.visits import list_visits

    editor = open_editor(qtbot, demo_db)
    chart = editor.patient.chart_number
    before = len(list_visits(demo_db, chart))
    editor.close()
    assert len(list_visits(demo_db, chart)) == before - 1
    kept = open_editor(qtbot, demo_db)
    click(qtbot, kept, *front_anchor("chin"))
    kept.save_action.trigger()
    qtbot.waitUntil(lambda: not kept.is_modified() and kept.tasks.is_idle())
    kept.close()
    assert len(list_visits(demo_db, chart)) == before


def test_glabella_and_crows_feet_with_a_lot_in_four_interactions(qtbot, demo_db):
    """New visit, Alt+1, Alt+2, Ctrl+S: Botox Cosmetic 20 U glabella + 24 U crow's feet,
    each point with the lot the pen chose (the in-date lot that expires first)."""
    from ui.main_window import MainWindow

    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(
        lambda: window.patient_model.rowCount() > 0 and bool(window.products) and window.tasks.is_idle()
    )
    qtbot.mouseClick(window.new_visit_button, Qt.MouseButton.LeftButton)  # 1
    qtbot.waitUntil(lambda: bool(window.editors))
    editor = window.editors[0]
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.lot_number is not None)
    qtbot.keySequence(editor, "Alt+1")  # 2
    qtbot.keySequence(editor, "Alt+2")  # 3
    qtbot.keySequence(editor, "Ctrl+S")  # 4
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    saved = get_visit(demo_db, editor.visit.id)
    glabella = [p for p in saved.points if p.region_code in ("procerus", "corrugator_l", "corrugator_r")]
    crows = [p for p in saved.points if p.region_code.startswith("crows_feet")]
    assert sum(p.amount for p in glabella) == 20 and sum(p.amount for p in crows) == 24
    assert {p.product_name for p in saved.points} == {"Botox Cosmetic"}
    assert all(p.lot_number == editor.pen.lot_number for p in saved.points)


def test_the_legend_names_colours_and_keeps_the_balance_in_sight(qtbot, editor):
    assert "Nothing charted yet" in editor.legend.text()
    click(qtbot, editor, *front_anchor("crows_feet_l"))
    text = editor.legend.text()
    assert "Botox Cosmetic" in text and editor.products["Botox Cosmetic"].colour in text
    assert "Crow&#x27;s feet: left 4 U, right 0 U, 4 U more left" in text


# ---------------------------------------------------------------- clinical safety


def test_edits_made_while_saving_stay_unsaved(qtbot, editor, demo_db):
    click(qtbot, editor, *front_anchor("glabella"))
    editor.save_action.trigger()
    click(qtbot, editor, *front_anchor("chin"))  # while the save is on its way
    qtbot.waitUntil(lambda: editor.tasks.is_idle() and editor.visit.version > 1)
    assert editor.is_modified(), "the chin point is not saved yet and must not look saved"
    assert [p.region_code for p in get_visit(demo_db, editor.visit.id).points] == ["glabella"]


def test_only_a_new_visit_closed_unsaved_is_taken_back(qtbot, demo_db):
    from app.services.visits import list_visits, open_visit

    consent_only = open_editor(qtbot, demo_db)
    chart = consent_only.patient.chart_number
    before = len(list_visits(demo_db, chart))
    consent_only.consent.setChecked(True)
    consent_only.save_action.trigger()
    qtbot.waitUntil(lambda: not consent_only.is_modified() and consent_only.tasks.is_idle())
    consent_only.close()
    assert len(list_visits(demo_db, chart)) == before, "a saved visit is never removed"

    copied = open_editor(qtbot, demo_db, copy_previous=True)
    assert len(copied.document) > 0
    copied.close()  # changed its mind: discards the copy
    assert len(list_visits(demo_db, chart)) == before

    empty = open_editor(qtbot, demo_db)  # an empty draft someone else opens and closes
    other = open_visit(demo_db, empty.visit.id)
    foreign = VisitEditor(
        demo_db,
        empty.patient,
        other.visit,
        list_products(demo_db.factory),
        other.providers,
        other.previous,
        other.templates,
        created=other.created,
    )
    qtbot.addWidget(foreign)
    foreign.close()
    assert len(list_visits(demo_db, chart)) == before + 1


def test_copy_previous_visit_brings_sites_doses_not_lots_or_notes(qtbot, demo_db):
    from app.services.visits import previous_visit

    editor = open_editor(qtbot, demo_db, copy_previous=True)
    previous = previous_visit(demo_db, editor.patient.id, editor.visit.started_at)
    copied = editor.document.charted()
    assert [(p.view, p.x, p.y, p.region_code, p.product_name, p.amount, p.aliquots) for p in copied] == [
        (p.view, p.x, p.y, p.region_code, p.product_name, p.amount, p.aliquots) for p in previous.points
    ]
    assert all(p.lot_number is None and p.notes == "" for p in copied)
    ghosts = editor.scenes[View.FRONT].ghosts
    assert sorted(g.point.amount for g in ghosts) == sorted(
        p.amount for p in previous.points if p.view is View.FRONT
    )


def test_a_recovered_chart_older_than_the_saved_visit_cannot_overwrite_it(qtbot, editor, demo_db):
    from app.storage.autosave import pending_recoveries

    click(qtbot, editor, *front_anchor("chin"))
    editor.autosave()
    [recovered] = pending_recoveries(demo_db)
    click(qtbot, editor, *front_anchor("glabella"))
    editor.save_action.trigger()  # saved later, with two points
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    stale = open_editor(qtbot, demo_db)
    stale.visit = get_visit(demo_db, editor.visit.id)
    stale.restore(recovered)
    assert "saving will be refused" in stale.statusBar().currentMessage()
    stale.save_action.trigger()
    qtbot.waitUntil(lambda: stale.tasks.is_idle() and "Not saved" in stale.statusBar().currentMessage())
    assert len(get_visit(demo_db, editor.visit.id).points) == 2
    stale.undo_stack.undo()  # the recovery is one undo step
    assert len(stale.document) == 0


def test_mirror_leaves_midline_points_alone(qtbot, editor):
    click(qtbot, editor, *front_anchor("procerus"))
    click(qtbot, editor, *front_anchor("corrugator_l"))
    editor.select_all()
    editor.mirror_action.trigger()
    assert sorted(p.region_code for p in editor.document.charted()) == [
        "corrugator_l",
        "corrugator_r",
        "procerus",
    ]
    assert "midline" in editor.statusBar().currentMessage()


def test_saving_keeps_the_visit_time_to_the_second(qtbot, editor, demo_db):
    started = editor.visit.started_at
    click(qtbot, editor, *front_anchor("chin"))
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    assert get_visit(demo_db, editor.visit.id).started_at == started


def test_enter_in_a_blank_inspector_field_changes_nothing(qtbot, editor):
    click(qtbot, editor, *front_anchor("crows_feet_l"))
    editor.pen_panel.gauge.setCurrentText("32G")
    click(qtbot, editor, *front_anchor("crows_feet_r"))
    editor.select_all()
    assert editor.inspector.gauge.text() == ""  # two different gauges
    editor.inspector.gauge.setFocus()
    qtbot.keyClick(editor.inspector.gauge, Qt.Key.Key_Return)
    assert sorted(p.gauge for p in editor.document.charted()) == ["30G", "32G"]
    qtbot.keyClicks(editor.inspector.gauge, "27g")
    qtbot.keyClick(editor.inspector.gauge, Qt.Key.Key_Return)
    assert {p.gauge for p in editor.document.charted()} == {"27G"}
    editor.undo_stack.undo()
    assert sorted(p.gauge for p in editor.document.charted()) == ["30G", "32G"]


def test_a_signed_visit_cannot_be_moved(qtbot, demo_db):
    from app.services.visits import list_visits, open_visit
    from models.vocabulary import VisitStatus

    patient = search_patients(demo_db)[0]
    signed = next(
        v
        for v in reversed(list_visits(demo_db, patient.chart_number))
        if v.status is VisitStatus.SIGNED and v.totals
    )
    opened = open_visit(demo_db, signed.id)
    editor = VisitEditor(demo_db, patient, opened.visit, list_products(demo_db.factory), opened.providers)
    qtbot.addWidget(editor)
    editor.show()
    marker = next(iter(editor.scene.markers.values()))
    assert not marker.flags() & marker.GraphicsItemFlag.ItemIsMovable
    editor.move_points({marker.uid: (0.5, 0.5, "nose_dorsum")})
    assert editor.undo_stack.count() == 0


def test_visit_fields_are_undoable_and_typing_is_one_step(qtbot, editor):
    qtbot.keyClicks(editor.concern, "left brow higher")
    assert editor.is_modified() and editor.undo_stack.count() == 1
    editor.consent.setChecked(True)
    assert editor.undo_stack.count() == 2
    editor.undo_stack.undo()
    assert not editor.consent.isChecked()
    editor.undo_stack.undo()
    assert editor.concern.text() == "" and not editor.is_modified()
    editor.undo_stack.redo()
    assert editor.fields().concern == "left brow higher"


def test_saving_without_lots_is_asked(qtbot, demo_db, monkeypatch):
    editor = open_editor(qtbot, demo_db, copy_previous=True)  # copied points have no lots
    asked = []
    monkeypatch.setattr(
        VisitEditor,
        "ask_save_without_lots",
        classmethod(lambda cls, parent, count: asked.append(count) or False),
    )
    editor.save_action.trigger()
    assert asked == [len(editor.document)] and editor.is_modified()
    assert get_visit(demo_db, editor.visit.id).points == []
    assert "choose the lots" in editor.statusBar().currentMessage()


def test_after_a_save_the_editor_shows_what_is_due_next(qtbot, editor):
    for code in ("procerus", "corrugator_l", "corrugator_r"):
        click(qtbot, editor, *front_anchor(code))
    editor.save_action.trigger()
    qtbot.waitUntil(
        lambda: not editor.is_modified() and editor.tasks.is_idle() and bool(editor.next_due_label.text())
    )
    assert "Glabella (frown lines): Botox Cosmetic from" in editor.next_due_label.text()


def test_text_typed_in_the_inspector_stays_with_its_points_when_a_shortcut_moves_on(qtbot, editor):
    """Typed without Enter, then Ctrl+A (or a save) while the field still has focus: the text
    belongs to the points it was typed for, never to the new selection, and is not lost."""
    for code in ("chin", "procerus"):
        click(qtbot, editor, *front_anchor(code))
    chin, procerus = [uid for uid, p in editor.document.items()]
    editor.scene.select_uids([chin])
    editor.inspector.notes.setFocus()
    qtbot.keyClicks(editor.inspector.notes, "bruises easily")
    editor.inspector.gauge.clear()
    qtbot.keyClicks(editor.inspector.gauge, "32g")
    editor.select_all_action.trigger()
    assert editor.document.point(chin).notes == "bruises easily"
    assert editor.document.point(chin).gauge == "32G"
    assert editor.document.point(procerus).notes == "" and editor.document.point(procerus).gauge != "32G"
    editor.undo_stack.undo()  # the typed edits are one undo step
    assert editor.document.point(chin).notes == ""

    editor.scene.select_uids([procerus])
    editor.inspector.amount.line.clear()
    qtbot.keyClicks(editor.inspector.amount.line, "6")
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    saved = {p.region_code: p.amount for p in get_visit(editor.database, editor.visit.id).points}
    assert saved == {"chin": Decimal(4), "procerus": Decimal(6)}


def type_amount(qtbot, editor, text):
    editor.inspector.amount.line.clear()
    qtbot.keyClicks(editor.inspector.amount.line, text)  # no Enter: not committed yet


def test_undo_with_a_typed_amount_undoes_the_typing_and_keeps_the_stack_whole(qtbot, editor):
    click(qtbot, editor, *front_anchor("chin"))
    ((uid, _),) = editor.document.items()
    editor.scene.select_uids([uid])
    type_amount(qtbot, editor, "2")
    qtbot.keyClick(editor.inspector.amount.line, Qt.Key.Key_Return)
    assert editor.document.point(uid).amount == Decimal(2)
    type_amount(qtbot, editor, "3")
    editor.undo_action.trigger()  # a toolbar button: the amount field keeps the focus
    assert editor.document.point(uid).amount == Decimal(2)
    assert editor.undo_stack.count() == 3 and editor.undo_stack.index() == 2
    editor.undo_action.trigger()
    editor.undo_action.trigger()
    assert editor.undo_stack.index() == 0 and not list(editor.document.items())
    for _ in range(3):
        editor.redo_action.trigger()
    assert editor.document.point(uid).amount == Decimal(3)


def test_mirror_copies_the_dose_just_typed(qtbot, editor):
    click(qtbot, editor, *front_anchor("corrugator_l"))
    ((uid, _),) = editor.document.items()
    editor.scene.select_uids([uid])
    type_amount(qtbot, editor, "6")
    editor.mirror_action.trigger()
    assert sorted((p.region_code, p.amount) for _, p in editor.document.items()) == [
        ("corrugator_l", Decimal(6)),
        ("corrugator_r", Decimal(6)),
    ]


def test_a_wrong_amount_typed_stops_the_save(qtbot, editor):
    click(qtbot, editor, *front_anchor("chin"))
    ((uid, _),) = editor.document.items()
    editor.scene.select_uids([uid])
    type_amount(qtbot, editor, "0")
    qtbot.waitUntil(editor.tasks.is_idle)
    editor.save_action.trigger()
    assert editor.tasks.is_idle() and editor.is_modified()  # no save started
    assert editor.statusBar().currentMessage().startswith("Not saved: the amount must be more than 0")
    assert get_visit(editor.database, editor.visit.id).points == []
    type_amount(qtbot, editor, "5")
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    assert [p.amount for p in get_visit(editor.database, editor.visit.id).points] == [Decimal(5)]


def test_closing_with_only_typed_text_asks(qtbot, editor, monkeypatch):
    click(qtbot, editor, *front_anchor("chin"))
    ((uid, _),) = editor.document.items()
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    editor.scene.select_uids([uid])
    qtbot.keyClicks(editor.inspector.notes, "asked for less next time")
    asked = []
    monkeypatch.setattr(VisitEditor, "ask_discard", classmethod(lambda cls, parent: asked.append(1) or False))
    editor.close()
    assert asked and editor.isVisible()
    assert editor.document.point(uid).notes == "asked for less next time"


def test_an_amount_typed_wrong_is_refused_aloud_when_the_selection_moves(qtbot, editor):
    click(qtbot, editor, *front_anchor("chin"))
    ((uid, before),) = editor.document.items()
    editor.scene.select_uids([uid])
    editor.inspector.amount.line.setText("four")
    editor.inspector.amount.line.setModified(True)
    editor.scene.select_uids([])
    assert editor.document.point(uid) == before
    assert "The amount typed (four) was not applied" in editor.statusBar().currentMessage()


# ---------------------------------------------------------------- the document and its observers


def test_undoing_a_field_edit_redraws_the_form_from_the_document(qtbot, editor, demo_db):
    from dataclasses import replace

    from ui.commands import SetVisitFields

    first = editor.fields()
    other_injector = next(
        editor.provider.itemData(i)
        for i in range(editor.provider.count())
        if editor.provider.itemData(i) != first.provider_id
    )
    editor.provider.setCurrentIndex(editor.provider.findData(other_injector))
    assert editor.document.fields.provider_id == other_injector and editor.undo_stack.count() == 1
    editor.started.time.setTime(editor.started.time.time().fromString("08:15", "HH:mm"))
    assert editor.document.fields.started_at.astimezone(demo_db.timezone).strftime("%H:%M") == "08:15"
    editor.undo_stack.undo()
    assert editor.document.fields.started_at == first.started_at
    assert editor.started.moment() == first.started_at.astimezone(demo_db.timezone).replace(
        second=0, tzinfo=None
    )
    editor.undo_stack.undo()
    assert editor.provider.currentData() == first.provider_id and editor.fields() == first
    editor.undo_stack.redo()
    assert editor.provider.currentData() == other_injector

    # A command changes only the document: the form follows, and saving writes the document's fields.
    wanted = replace(editor.fields(), concern="gummy smile", notes="first treatment", consent_recorded=True)
    editor.undo_stack.push(SetVisitFields(editor.document, editor.fields(), wanted))
    assert (editor.concern.text(), editor.notes.text(), editor.consent.isChecked()) == (
        "gummy smile",
        "first treatment",
        True,
    )
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    saved = get_visit(demo_db, editor.visit.id)
    assert (saved.provider_id, saved.concern, saved.notes, saved.consent_recorded) == (
        other_injector,
        "gummy smile",
        "first treatment",
        True,
    )
    assert saved.started_at == first.started_at  # the time untouched, to the second


def test_a_shared_runner_is_told_what_a_save_changed_and_keeps_each_editors_answers(qtbot, demo_db):
    from app.services.changes import Changes
    from ui.tasks import TaskRunner

    class ApplicationRunner(TaskRunner):
        def __init__(self):
            super().__init__()
            self.announced = []

        def announce(self, changes):
            self.announced.append(changes)

    runner = ApplicationRunner()
    first = open_editor(qtbot, demo_db, tasks=runner)
    second = open_editor(qtbot, demo_db, patient_index=1, tasks=runner)
    assert first.tasks is runner and second.tasks is runner
    for editor in (first, second):  # both placed a point with their own lot, on one runner
        click(qtbot, editor, *front_anchor("chin"))
    first.save_action.trigger()
    second.save_action.trigger()
    qtbot.waitUntil(lambda: runner.is_idle() and not first.is_modified() and not second.is_modified())
    # the two saves run side by side: either may finish first
    expected = [Changes.of_patients(first.patient.id), Changes.of_patients(second.patient.id)]
    assert sorted(runner.announced, key=lambda c: sorted(c.patients)) == sorted(
        expected, key=lambda c: sorted(c.patients)
    )
    assert [p.region_code for p in get_visit(demo_db, second.visit.id).points] == ["chin"]


def test_the_autosave_timer_can_be_given_as_a_factory(qtbot, demo_db):
    from app.storage.autosave import pending_recoveries

    made = []
    editor = open_editor(qtbot, demo_db, autosave_timer=lambda: made.append(ManualTimer()) or made[-1])
    [timer] = made
    click(qtbot, editor, *front_anchor("chin"))
    assert timer.isActive()
    editor.undo_stack.undo()  # back to the saved chart: nothing to recover
    timer.fire()
    assert pending_recoveries(demo_db) == []
    editor.undo_stack.redo()
    timer.fire()
    [recovered] = pending_recoveries(demo_db)
    assert [p.region_code for p in recovered.points] == ["chin"]


def test_actions_are_enabled_as_the_registry_declares(qtbot, editor, demo_db):
    from app.services.visits import list_visits, open_visit
    from models.vocabulary import VisitStatus
    from ui.editor_actions import EditorAction

    assert set(editor.actions) == set(EditorAction)
    assert not editor.delete_action.isEnabled() and not editor.mirror_action.isEnabled()  # nothing selected
    assert not editor.undo_action.isEnabled() and editor.save_action.isEnabled()
    click(qtbot, editor, *front_anchor("crows_feet_l"))
    assert editor.undo_action.isEnabled()
    editor.select_all()
    assert editor.delete_action.isEnabled() and editor.mirror_action.isEnabled()
    assert editor.actions[EditorAction.REDO].shortcuts()[1].toString() == "Ctrl+Y"

    patient = editor.patient
    signed = next(
        v for v in list_visits(demo_db, patient.chart_number) if v.status is VisitStatus.SIGNED and v.totals
    )
    opened = open_visit(demo_db, signed.id)
    locked = VisitEditor(demo_db, patient, opened.visit, list_products(demo_db.factory), opened.providers)
    qtbot.addWidget(locked)
    locked.select_all()
    assert locked.document.charted() and locked.scene.selected_uids()
    assert not any(
        a.isEnabled() for a in (locked.save_action, locked.delete_action, locked.mirror_action)
    ) and not any(a.isEnabled() for a in locked.template_actions.values())
    assert locked.record_action.isEnabled() and locked.ghost_action.isEnabled()


@pytest.mark.qt_no_exception_capture
def test_on_a_shared_runner_a_failed_save_reaches_the_editor_and_the_one_handler(qtbot, demo_db, monkeypatch):
    """Another window's failure leaves the editor alone; the editor's own failed save frees
    the Save action again and is told once by the application's handler."""
    import ui.visit_saving
    from ui.tasks import TaskRunner

    runner = TaskRunner()
    told = []
    runner.failed.connect(told.append)
    editor = open_editor(qtbot, demo_db, tasks=runner)
    click(qtbot, editor, *front_anchor("chin"))

    def elsewhere():
        raise OSError("the printer went away")

    runner.run("main-window-print", elsewhere, lambda _result: None)
    qtbot.waitUntil(runner.is_idle)
    assert told == ["OSError: the printer went away"]
    assert "Not saved" not in editor.statusBar().currentMessage()

    def disk_full(*_args, **_kwargs):
        raise OSError("no space left on the disk")

    monkeypatch.setattr(ui.visit_saving, "replace_points", disk_full)
    editor.save_action.trigger()
    qtbot.waitUntil(runner.is_idle)
    assert told[-1] == "OSError: no space left on the disk" and len(told) == 2
    assert editor.statusBar().currentMessage() == "Not saved: OSError: no space left on the disk"
    assert editor.is_modified() and editor.save_action.isEnabled()
    assert get_visit(demo_db, editor.visit.id).points == []
