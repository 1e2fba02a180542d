"""The visit editor driven with the mouse and keyboard, as an injector drives it."""

from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt

from app.catalogue import list_products
from app.patients import search_patients
from app.visits import get_visit, start_visit
from models.face_map import face_map
from models.regions import front_anchor
from models.templates import bundled_templates
from models.vocabulary import View
from ui.commands import ChangePoints
from ui.face_scene import to_scene
from ui.visit_editor import VisitEditor


def open_editor(qtbot, db, copy_previous=False, patient_index=0):
    patient = search_patients(db)[patient_index]
    opened = start_visit(db, patient.id, copy_previous=copy_previous)
    editor = VisitEditor(db, patient, opened.visit, list_products(db.factory), opened.providers,
                         opened.previous, opened.templates)
    qtbot.addWidget(editor)
    if opened.copied_points:
        editor.copy_points(opened.copied_points)
    editor.show()
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.lot_number is not None
                    and editor.tasks.is_idle())
    return editor


@pytest.fixture
def editor(qtbot, demo_db):
    return open_editor(qtbot, demo_db)


def view_point(editor, x, y) -> QPoint:
    return editor.face_view.mapFromScene(to_scene(x, y))


def click(qtbot, editor, x, y, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(editor.face_view.viewport(), Qt.MouseButton.LeftButton, modifier,
                     view_point(editor, x, y))


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
        (code, "Botox Cosmetic", Decimal(4), 1, lot) for code in ("procerus", "corrugator_l", "corrugator_r")]
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


@pytest.mark.parametrize("template", bundled_templates(), ids=lambda t: t.key)
def test_each_template_places_exactly_the_label_doses(qtbot, editor, template):
    for product, per_site in template.doses.items():
        editor.document.remove([uid for uid, _ in editor.document.items()])
        editor.pen_panel.choose_product(product)
        qtbot.waitUntil(lambda: editor.pen.product_name == product and editor.tasks.is_idle())
        editor.apply_template(template)
        points = editor.document.charted()
        assert len(points) == len(template.sites)
        assert all(p.amount == per_site and p.aliquots == 1 and p.product_name == product for p in points)
        assert [p.region_code for p in points] == [s.region_code for s in template.sites]
    label_totals = {"glabella": {"Botox Cosmetic": 20, "Dysport": 50, "Daxxify": 40},
                    "lateral_canthal": {"Botox Cosmetic": 24}, "forehead": {"Botox Cosmetic": 20}}
    for product, total in label_totals[template.key].items():
        assert template.total(product) == total


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


def test_previous_visit_is_drawn_as_ghosts(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    front_ghosts = [p for p in editor.scenes[View.FRONT].ghosts]
    previous_points = [p for p in get_visit(demo_db, editor.visit.id).points]
    assert previous_points == []  # the new visit itself is empty
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
    lot_index = next(i for i in range(editor.inspector.lot.count())
                     if isinstance(editor.inspector.lot.itemData(i), tuple))
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
    from app.autosave import pending_recoveries
    from ui.main_window import MainWindow

    editor = open_editor(qtbot, demo_db)
    click(qtbot, editor, *front_anchor("glabella"))
    click(qtbot, editor, *front_anchor("chin"))
    editor.concern.setText("frown lines")
    editor.concern.textEdited.emit("frown lines")
    qtbot.waitUntil(lambda: len(pending_recoveries(demo_db)) == 1, timeout=6000)
    charted = editor.document.charted()
    editor.autosave_timer.stop()
    editor.hide()  # the program "dies" here: the editor is never closed, nothing is saved

    offered = []
    monkeypatch.setattr(MainWindow, "ask_recover",
                        classmethod(lambda cls, parent, text: offered.append(text) or True))
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
    qtbot.waitUntil(lambda: editor.pen.product_name == "Dysport" and editor.pen.lot_number and editor.tasks.is_idle())
    for code in ("masseter_l", "masseter_r"):
        click(qtbot, editor, *front_anchor(code))
    monkeypatch.setattr(VisitEditor, "ask_template_name", classmethod(lambda cls, parent: "Masseter (Dysport)"))
    editor.save_template_action.trigger()
    qtbot.waitUntil(lambda: len(editor.clinic_templates) == 1 and editor.tasks.is_idle())

    other = open_editor(qtbot, demo_db, patient_index=1)
    [template] = other.clinic_templates  # shared through the database
    assert template.name == "Masseter (Dysport)"
    assert [a.text() for a in other.clinic_menu.actions()][0] == "Masseter (Dysport)"
    other.apply_template(template)
    placed = other.document.charted()
    assert [(p.region_code, p.product_name, p.amount) for p in placed] == [
        ("masseter_l", "Dysport", Decimal(10)), ("masseter_r", "Dysport", Decimal(10))]
    assert all(p.lot_number is None for p in placed)  # the pen holds Botox: Dysport lot to choose


def test_a_new_visit_closed_empty_leaves_nothing_behind(qtbot, demo_db):
    from app.visits import list_visits
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
    qtbot.waitUntil(lambda: window.patient_model.rowCount() > 0 and bool(window.products)
                    and window.tasks.is_idle())
    qtbot.mouseClick(window.new_visit_button, Qt.MouseButton.LeftButton)          # 1
    qtbot.waitUntil(lambda: bool(window.editors))
    editor = window.editors[0]
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.lot_number is not None)
    qtbot.keySequence(editor, "Alt+1")                                               # 2
    qtbot.keySequence(editor, "Alt+2")                                               # 3
    qtbot.keySequence(editor, "Ctrl+S")                                              # 4
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
    assert "left 4 U · right 0 U" in text and "4 U more left" in text
