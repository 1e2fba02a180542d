"""The face map: a QGraphicsScene that mirrors a ChartDocument for one view.

The scene never changes the document itself. A click on the face asks for a point
(`place_requested`), a finished drag reports where the markers went (`points_moved`);
the visit editor turns both into undo commands, and the document's announcements bring
the markers up to date.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF, QTransform
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtSvgWidgets import QGraphicsSvgItem
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QStyleOptionGraphicsItem,
)

from models.base import format_amount
from models.chart import ChartDocument
from models.face_map import DRAWING_HEIGHT, DRAWING_WIDTH, face_map, svg_path
from models.records import ChartedPoint
from models.regions import REGIONS
from models.vocabulary import DoseUnit, View

MARKER_RADIUS = 7.0  # device pixels: markers keep their size at any zoom
FLAG_COLOUR = QColor("#c62828")
WARNING_COLOUR = QColor("#e65100")  # amber: a safety warning, saving asks for a reason
Z_DRAWING, Z_MUSCLES, Z_REGIONS, Z_GHOSTS, Z_MARKERS = 0, 1, 2, 3, 4


def add_drawing_layer(
    scene: QGraphicsScene, renderer: QSvgRenderer, element: str, z: int
) -> QGraphicsSvgItem:
    """One layer of the face drawing (the drawing, the muscles) that clicks pass through."""
    item = QGraphicsSvgItem()
    item.setSharedRenderer(renderer)
    item.setElementId(element)
    item.setPos(renderer.boundsOnElement(element).topLeft())
    item.setZValue(z)
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    scene.addItem(item)
    return item


def add_region_outlines(scene: QGraphicsScene, view: View) -> dict[str, QGraphicsPathItem]:
    """Every region's outline of a view, hidden, clicks passing through: shown on hover or
    when chosen."""
    outlines: dict[str, QGraphicsPathItem] = {}
    for outline in face_map(view).outlines:
        path = QPainterPath()
        path.addPolygon(QPolygonF([to_scene(x, y) for x, y in outline.polygon]))
        path.closeSubpath()
        item = scene.addPath(
            path, QPen(QColor("#1565c0"), 1.2, Qt.PenStyle.DashLine), QBrush(QColor(21, 101, 192, 28))
        )
        item.setZValue(Z_REGIONS)
        item.setVisible(False)
        item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        outlines[outline.code] = item
    return outlines


def marker_label(point: ChartedPoint) -> str:
    """'4U' for units, '0.1' for mL, as injectors write on paper charts."""
    amount = format_amount(point.amount)
    return f"{amount}U" if point.unit is DoseUnit.UNITS else amount


def to_scene(x: float, y: float) -> QPointF:
    return QPointF(x * DRAWING_WIDTH, y * DRAWING_HEIGHT)


def to_normalized(position: QPointF) -> tuple[float, float]:
    x = min(1.0, max(0.0, position.x() / DRAWING_WIDTH))
    y = min(1.0, max(0.0, position.y() / DRAWING_HEIGHT))
    return round(x, 4), round(y, 4)


class MarkerItem(QGraphicsItem):
    """One charted point: a dot in its product's colour with its amount beside it."""

    def __init__(
        self, uid: int, point: ChartedPoint, colour: QColor, flagged: str | None, ghost: bool = False
    ):
        super().__init__()
        self.uid = uid
        self.ghost = ghost
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        if not ghost:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setZValue(Z_GHOSTS if ghost else Z_MARKERS)
        self.label = QGraphicsSimpleTextItem(self)
        font = QFont()
        font.setPixelSize(11)
        font.setBold(not ghost)
        self.label.setFont(font)
        self.safety: str | None = None  # the safety warnings of this point, one per line
        self.refused = False  # one of them is a hard ceiling: the visit cannot be saved
        self.update_point(point, colour, flagged)

    def update_point(self, point: ChartedPoint, colour: QColor, flagged: str | None) -> None:
        self.point = point
        self.colour = QColor(colour)
        self.flagged = flagged
        if self.ghost:
            self.colour.setAlphaF(0.35)
        self.setPos(to_scene(point.x, point.y))
        self._decorate()

    def set_safety(self, safety: str | None, refused: bool = False) -> None:
        """Mark the point with its safety warnings (amber ring and "!"; red when refused)."""
        if (safety, refused) != (self.safety, self.refused):
            self.safety, self.refused = safety, refused
            self._decorate()

    def _decorate(self) -> None:
        point = self.point
        marked = (self.flagged or self.safety) and not self.ghost
        # "⚠": a safety warning (saving asks for a reason); "!": the lot needs attention
        self.label.setText(marker_label(point) + ("" if not marked else " ⚠" if self.safety else " !"))
        self.label.setBrush(
            self.colour if not marked else FLAG_COLOUR if self.flagged or self.refused else WARNING_COLOUR
        )
        self.label.setPos(MARKER_RADIUS + 2, -8)
        tip = (
            f"{REGIONS[point.region_code].label}: {point.product_name} {marker_label(point)}"
            f"{'' if point.unit is DoseUnit.UNITS else ' mL'} in {point.aliquots} aliquot(s)"
        )
        self.setToolTip("\n".join(filter(None, [tip, self.flagged, self.safety])))
        self.update()

    def boundingRect(self) -> QRectF:
        r = MARKER_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(self.colour)
        if self.ghost:
            painter.setPen(QPen(fill, 1.5, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QBrush(fill))
        painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS, MARKER_RADIUS)
        if self.flagged and not self.ghost:
            painter.setPen(QPen(FLAG_COLOUR, 2, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS + 2.5, MARKER_RADIUS + 2.5)
        if self.safety and not self.ghost:
            painter.setPen(QPen(FLAG_COLOUR if self.refused else WARNING_COLOUR, 2.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS + 1.5, MARKER_RADIUS + 1.5)
        if self.isSelected():
            painter.setPen(QPen(QColor("#111111"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(QPointF(0, 0), MARKER_RADIUS + 1, MARKER_RADIUS + 1)


def lot_flag(point: ChartedPoint, visit_date: date | None) -> str | None:
    """Why a point's lot needs attention, if it does."""
    if not point.lot_number:
        return "no lot recorded"
    if visit_date and point.lot_expiry and point.lot_expiry < visit_date:
        return f"lot {point.lot_number} expired on {point.lot_expiry.isoformat()}"
    return None


class FaceScene(QGraphicsScene):
    place_requested = Signal(float, float, str)  # x, y (normalized), region code
    points_moved = Signal(object)  # {uid: (x, y, region code)}
    region_hovered = Signal(str)  # region label, or "" off the face

    def __init__(self, document: ChartDocument, view: View, colours: dict[str, str], parent=None):
        super().__init__(parent)
        self.document = document
        self.view = view
        self.colours = colours
        self.visit_date: date | None = None
        self.face_map = face_map(view)
        self.setSceneRect(0, 0, DRAWING_WIDTH, DRAWING_HEIGHT)
        self.setBackgroundBrush(QColor("white"))

        self.renderer = QSvgRenderer(str(svg_path(view)), self)
        self.drawing = add_drawing_layer(self, self.renderer, "drawing", Z_DRAWING)
        self.muscles = add_drawing_layer(self, self.renderer, "muscles", Z_MUSCLES)
        self.muscles.setVisible(False)
        self.outlines = add_region_outlines(self, view)
        self.show_all_outlines = False
        self._hovered: str | None = None

        self.markers: dict[int, MarkerItem] = {}
        self.safety: dict[int, tuple[str, bool]] = {}  # uid -> (warnings, refused)
        self.editable = True
        self.ghosts: list[MarkerItem] = []
        self._press: QPointF | None = None
        document.subscribe(self._document_changed)
        self._document_changed("added", [uid for uid, _ in document.items()])

    # ---------------------------------------------------------------- mirroring

    def colour_of(self, product_name: str) -> QColor:
        return QColor(self.colours.get(product_name, "#555555"))

    def set_visit_date(self, visit_date: date | None) -> None:
        self.visit_date = visit_date
        self._document_changed("changed", list(self.markers))

    def _document_changed(self, kind: str, uids: list[int]) -> None:
        for uid in uids:
            marker = self.markers.get(uid)
            point = self.document.point(uid) if uid in self.document else None
            if kind == "removed" or point is None or point.view is not self.view:
                if marker is not None:
                    self.removeItem(marker)
                    del self.markers[uid]
                continue
            flag = lot_flag(point, self.visit_date)
            if marker is None:
                marker = MarkerItem(uid, point, self.colour_of(point.product_name), flag)
                marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, self.editable)
                self.addItem(marker)
                self.markers[uid] = marker
            else:
                marker.update_point(point, self.colour_of(point.product_name), flag)
            marker.set_safety(*self.safety.get(uid, (None, False)))

    def set_safety(self, safety: dict[int, tuple[str, bool]]) -> None:
        """The safety warnings of each point (uid -> (text, refused)), shown on its marker."""
        self.safety = safety
        for uid, marker in self.markers.items():
            marker.set_safety(*safety.get(uid, (None, False)))

    def set_ghosts(self, points: list[ChartedPoint]) -> None:
        """The previous visit, drawn faintly with its amounts, not selectable."""
        for ghost in self.ghosts:
            self.removeItem(ghost)
        self.ghosts = []
        for point in points:
            if point.view is self.view:
                ghost = MarkerItem(0, point, self.colour_of(point.product_name), None, ghost=True)
                self.addItem(ghost)
                self.ghosts.append(ghost)

    def set_editable(self, editable: bool) -> None:
        """A signed visit: markers can be selected and read, not moved."""
        self.editable = editable
        for marker in self.markers.values():
            marker.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, editable)

    def set_markers_scale_with_drawing(self, scale: bool) -> None:
        """For a rendered image: markers grow with the drawing instead of keeping a
        constant size on screen."""
        for item in [*self.markers.values(), *self.ghosts]:
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, not scale)

    def set_ghosts_visible(self, visible: bool) -> None:
        for ghost in self.ghosts:
            ghost.setVisible(visible)

    def set_muscles_visible(self, visible: bool) -> None:
        self.muscles.setVisible(visible)

    def set_outlines_visible(self, visible: bool) -> None:
        self.show_all_outlines = visible
        for code, item in self.outlines.items():
            item.setVisible(visible or code == self._hovered)

    def selected_uids(self) -> list[int]:
        return sorted(item.uid for item in self.selectedItems() if isinstance(item, MarkerItem))

    def select_uids(self, uids: list[int]) -> None:
        """Select these markers with one selectionChanged, not one per marker."""
        self.blockSignals(True)
        try:
            self.clearSelection()
            for uid in uids:
                if uid in self.markers:
                    self.markers[uid].setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    # ---------------------------------------------------------------- input

    def region_at(self, position: QPointF) -> str | None:
        x, y = to_normalized(position)
        return self.face_map.region_at(x, y)

    def _hover(self, code: str | None) -> None:
        if code == self._hovered:
            return
        if self._hovered and not self.show_all_outlines:
            self.outlines[self._hovered].setVisible(False)
        self._hovered = code
        if code:
            self.outlines[code].setVisible(True)
        self.region_hovered.emit(REGIONS[code].label if code else "")

    def marker_at(self, position: QPointF) -> MarkerItem | None:
        # Markers ignore the view's zoom, so hit-testing needs the view's transform.
        transform = self.views()[0].transform() if self.views() else QTransform()
        item = self.itemAt(position, transform)
        while item is not None and not isinstance(item, MarkerItem):
            item = item.parentItem()
        return item if item is not None and not item.ghost else None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._press = None
        if event.button() == Qt.MouseButton.LeftButton and self.marker_at(event.scenePos()) is None:
            self._press = event.scenePos()  # on the face itself: a click may place a point
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._hover(self.region_at(event.scenePos()))
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        press, self._press = self._press, None
        if press is not None:
            if (event.scenePos() - press).manhattanLength() < 4:
                region = self.region_at(event.scenePos())
                if region is not None:
                    x, y = to_normalized(event.scenePos())
                    self.place_requested.emit(x, y, region)
            return
        self._finish_drag()

    def _finish_drag(self) -> None:
        moved = {}
        for uid, marker in self.markers.items():
            point = marker.point
            x, y = to_normalized(marker.pos())
            if (x, y) == (round(point.x, 4), round(point.y, 4)):
                continue
            region = self.face_map.region_at(x, y)
            if region is None:  # dropped off the face: put it back
                marker.setPos(to_scene(point.x, point.y))
                continue
            moved[uid] = (x, y, region)
        if moved:
            self.points_moved.emit(moved)
