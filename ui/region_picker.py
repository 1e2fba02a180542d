"""Affected regions chosen on the face drawing: a click on the face adds the region under
it, a second click takes it away; the chosen regions stay outlined and are named below.
Used where a region is the answer (an adverse event's regions), not a charted point."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QMouseEvent, QPainter, QPen, QResizeEvent
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel, QVBoxLayout, QWidget

from models.face_map import DRAWING_HEIGHT, DRAWING_WIDTH, face_map, svg_path
from models.regions import REGIONS
from models.vocabulary import View
from ui.face_scene import Z_DRAWING, add_drawing_layer, add_region_outlines, to_normalized

CHOSEN_PEN = QPen(QColor("#c62828"), 2.0)
CHOSEN_BRUSH = QBrush(QColor(198, 40, 40, 70))


class RegionPicker(QWidget):
    changed = Signal()

    def __init__(self, parent: QWidget | None = None, view: View = View.FRONT):
        super().__init__(parent)
        self.face_map = face_map(view)
        self.chosen: list[str] = []  # in the order clicked
        self.scene = QGraphicsScene(0, 0, DRAWING_WIDTH, DRAWING_HEIGHT, self)
        self.scene.setBackgroundBrush(QColor("white"))
        self.renderer = QSvgRenderer(str(svg_path(view)), self)
        add_drawing_layer(self.scene, self.renderer, "drawing", Z_DRAWING)
        self.outlines = add_region_outlines(self.scene, view)
        for item in self.outlines.values():
            item.setPen(CHOSEN_PEN)
            item.setBrush(CHOSEN_BRUSH)
        self.view = _FaceView(self.scene, self)
        self.view.setAccessibleName("Affected regions: click the face")
        self.view.clicked.connect(self._clicked)
        self.names = QLabel()
        self.names.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.names)
        self._show()

    def regions(self) -> tuple[str, ...]:
        return tuple(self.chosen)

    def set_regions(self, codes: tuple[str, ...]) -> None:
        self.chosen = [code for code in codes if code in REGIONS]
        self._show()

    def toggle(self, code: str) -> None:
        if code in self.chosen:
            self.chosen.remove(code)
        else:
            self.chosen.append(code)
        self._show()
        self.changed.emit()

    def _clicked(self, x: float, y: float) -> None:
        code = self.face_map.region_at(x, y)
        if code is not None:
            self.toggle(code)

    def _show(self) -> None:
        for code, item in self.outlines.items():
            item.setVisible(code in self.chosen)
        self.names.setText(
            ", ".join(REGIONS[code].label for code in self.chosen)
            or "Click the face to mark the regions affected."
        )


class _FaceView(QGraphicsView):
    clicked = Signal(float, float)  # normalized x, y on the drawing

    def __init__(self, scene: QGraphicsScene, parent: QWidget):
        super().__init__(scene, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumSize(150, 170)
        self.setMouseTracking(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        picker = self.parent()
        assert isinstance(picker, RegionPicker)
        code = picker.face_map.region_at(*to_normalized(self.mapToScene(event.position().toPoint())))
        self.setToolTip(REGIONS[code].label if code else "")
        super().mouseMoveEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(*to_normalized(self.mapToScene(event.position().toPoint())))
        else:
            super().mousePressEvent(event)
