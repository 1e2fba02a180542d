"""The upper lip is comfortably clickable in the face view at the editor's default size."""

import statistics

from models.face_map import DRAWING_WIDTH
from models.regions import front_anchor
from tests.ui.test_visit_editor import open_editor
from ui.face_scene import to_scene

COMFORTABLE_PX = 16


def clickable_heights(editor, code: str) -> dict[int, int]:
    """Per pixel column of the face view, the tallest run of pixels that resolve to `code`."""
    view, scene = editor.face_view, editor.face_view.scene()
    centre = view.mapFromScene(to_scene(*front_anchor(code)))
    half_width = int(0.1 * DRAWING_WIDTH * view.transform().m11())
    heights = {}
    for dx in range(-half_width, half_width + 1):
        run = tallest = 0
        for y in range(centre.y() - 60, centre.y() + 60):
            run = run + 1 if scene.region_at(view.mapToScene(centre.x() + dx, y)) == code else 0
            tallest = max(tallest, run)
        if tallest:
            heights[dx] = tallest
    return heights


def test_the_upper_lip_is_comfortably_clickable_at_the_default_size(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    assert (editor.width(), editor.height()) == (1500, 950)  # the editor's default size
    for code in ("upper_lip_r", "upper_lip_l"):
        heights = clickable_heights(editor, code)
        assert heights[0] >= COMFORTABLE_PX, (code, "at its anchor", heights[0])
        assert statistics.median(heights.values()) >= COMFORTABLE_PX, (code, heights)
