"""Landmarks placed on a photo by hand: the photo with its landmarks as small labelled markers
that can be dragged, the list of landmarks (choose one, click the photo to place it), an iris
tool (two clicks across the iris give its diameter in pixels, the photo's scale), and beside
the photo its measures in words, as the asymmetry service gives them.

The edits go to a plain document (`LandmarkDocument`) through undo commands, one per click or
per drag; the scene only mirrors the document. Save hands the document to
`save_landmarks` on the TaskRunner; a refusal is said beside the photo, nothing stored.

Scene coordinates are the stored photo's pixels, whatever size the picture was decoded at
(`read_photo` decodes at most DISPLAY_SIDE pixels on the long side, off the GUI thread).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QImageReader,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QTransform,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.asymmetry import lines_of, patient_asymmetry
from app.services.patients import chart_number_of
from app.services.photos import PhotoRecord, PlacedLandmarks, load_landmarks, photo_image, save_landmarks
from app.storage.database import Database
from models.landmarks import Landmark
from ui.field_message import FieldMessage
from ui.tasks import TaskRunner

DISPLAY_SIDE = 2048  # pixels: the long side a photo is decoded at for the screen
MARKER_RADIUS = 5.0  # screen pixels, whatever the zoom
Point = tuple[float, float]


# --- reading a photo (on a pool thread) -----------------------------------------------------


@dataclass(frozen=True)
class ReadPhoto:
    record: PhotoRecord
    image: QImage  # decoded with its long side at most DISPLAY_SIDE
    landmarks: PlacedLandmarks | None


def decode(data: bytes, side: int = DISPLAY_SIDE) -> QImage:
    """The stored image decoded for the screen (JPEG decodes straight at the smaller size)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > side:
        reader.setScaledSize(size.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise ValueError(f"the stored photo could not be decoded: {reader.errorString()}")
    return image.convertToFormat(QImage.Format.Format_RGB32)


def read_photo(db: Database, photo_id: int, side: int = DISPLAY_SIDE) -> ReadPhoto:
    """A photo, decoded for the screen, with its landmarks (run off the GUI thread)."""
    record, data = photo_image(db, photo_id)
    return ReadPhoto(record, decode(data, side), load_landmarks(db, photo_id))


def to_photo_pixels(record: PhotoRecord, pixmap_width: int, pixmap_height: int) -> QTransform:
    """From the decoded picture's pixels to the stored photo's (the landmarks' coordinates)."""
    return QTransform.fromScale(record.width / pixmap_width, record.height / pixmap_height)


def measures_of(db: Database, chart_number: str, photo_id: int) -> list[str]:
    """The photo's measures in words, as the records print them."""
    for measured in patient_asymmetry(db, chart_number):
        if measured.photo_id == photo_id:
            return lines_of(measured)
    return []


def short_label(key: Landmark) -> str:
    """The marker's label: "pupil L", "brow peak R", "chin" (the patient's sides)."""
    value = key.value
    if value.endswith(("_l", "_r")):
        return f"{value[:-2].replace('_', ' ')} {value[-1].upper()}"
    return value.replace("_", " ")


# --- the document and its undo commands (no widget here) ------------------------------------


class LandmarkDocument:
    """The landmarks being placed on one photo: key -> (x, y) in the stored photo's pixels,
    and the iris diameter in pixels. Whoever listens learns each change as (kind, key)."""

    def __init__(self, points: dict[str, Point] | None = None, iris_px: float | None = None):
        self.points: dict[str, Point] = dict(points or {})
        self.iris_px = iris_px
        self.listeners: list[Callable[[str, str], None]] = []

    def set_point(self, key: str, point: Point | None) -> None:
        if point is None:
            self.points.pop(key, None)
        else:
            self.points[key] = point
        self._announce("point", key)

    def set_iris(self, iris_px: float | None) -> None:
        self.iris_px = iris_px
        self._announce("iris", "")

    def _announce(self, kind: str, key: str) -> None:
        for listener in self.listeners:
            listener(kind, key)


class PlaceLandmark(QUndoCommand):
    def __init__(self, document: LandmarkDocument, key: str, point: Point | None, text: str):
        super().__init__(text)
        self.document, self.key, self.point = document, key, point
        self.before = document.points.get(key)

    def redo(self) -> None:
        self.document.set_point(self.key, self.point)

    def undo(self) -> None:
        self.document.set_point(self.key, self.before)


class SetIris(QUndoCommand):
    def __init__(self, document: LandmarkDocument, iris_px: float | None):
        super().__init__("measure the iris")
        self.document, self.iris_px, self.before = document, iris_px, document.iris_px

    def redo(self) -> None:
        self.document.set_iris(self.iris_px)

    def undo(self) -> None:
        self.document.set_iris(self.before)


# --- the scene ------------------------------------------------------------------------------


class Marker(QGraphicsEllipseItem):
    """A landmark on the photo: a dot of constant size on the screen, with its label; dragged
    within the photo, one undo command on release."""

    def __init__(self, key: str, bounds: QRectF, dropped: Callable[[str, Point, Point], None]):
        r = MARKER_RADIUS
        super().__init__(-r, -r, 2 * r, 2 * r)
        self.key, self.bounds, self.dropped = key, bounds, dropped
        self.setBrush(QBrush(QColor(255, 210, 0)))
        self.setPen(QPen(QColor(0, 0, 0), 1))
        self.setZValue(10)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        for flag in (
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable,
            QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges,
            QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations,
        ):
            self.setFlag(flag)
        try:
            text = short_label(Landmark(key))
        except ValueError:
            text = key
        label = QGraphicsSimpleTextItem(text, self)
        label.setBrush(QBrush(QColor(255, 255, 255)))
        label.setPen(QPen(QColor(0, 0, 0), 0.6))
        label.setPos(r + 2, -r - 4)
        self._pressed_at: QPointF | None = None

    def itemChange(self, change, value):  # type: ignore[no-untyped-def]
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            b = self.bounds  # a landmark stays on the photo
            return QPointF(min(max(value.x(), b.left()), b.right()), min(max(value.y(), b.top()), b.bottom()))
        return super().itemChange(change, value)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self._pressed_at = self.pos()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        start, self._pressed_at = self._pressed_at, None
        if start is not None and start != self.pos():
            self.dropped(self.key, (start.x(), start.y()), (self.pos().x(), self.pos().y()))


class LandmarkScene(QGraphicsScene):
    """A left click that no marker takes is a click on the photo (or beside it)."""

    def __init__(self, clicked: Callable[[QPointF], None], parent=None):
        super().__init__(parent)
        self.clicked = clicked

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.mouseGrabberItem() is None:
            event.accept()
            self.clicked(event.scenePos())


class ZoomingView(QGraphicsView):
    """The wheel zooms about the pointer (landmarks close together are placed zoomed in)."""

    def wheelEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        steps = event.angleDelta().y() / 120
        if steps:
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
            self.scale(1.25**steps, 1.25**steps)


# --- the editor -----------------------------------------------------------------------------


class LandmarkEditor(QWidget):
    def __init__(
        self,
        db: Database,
        tasks: TaskRunner,
        photo_id: int,
        chart_number: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.db, self.tasks, self.photo_id, self.chart_number = db, tasks, photo_id, chart_number
        self.setWindowTitle("Landmarks — Aliquot")
        self._channel = f"landmarks-{id(self)}"
        self.record: PhotoRecord | None = None
        self.document = LandmarkDocument()
        self.document.listeners.append(self._document_changed)
        self.undo_stack = QUndoStack(self)
        self.markers: dict[str, Marker] = {}
        self._iris_start: QPointF | None = None
        self._iris_centre: QPointF | None = None
        self.photo_rect = QRectF()

        self.keys = QListWidget()
        for key in Landmark:
            item = QListWidgetItem(key.spoken)
            item.setData(Qt.ItemDataRole.UserRole, key.value)
            self.keys.addItem(item)
        self.keys.setMinimumWidth(230)
        self.keys.setToolTip("The mouse wheel over the photo zooms in and out")
        self.scene = LandmarkScene(self._clicked, self)
        self.view = ZoomingView(self.scene)
        self.view.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform)
        self.view.setBackgroundBrush(QColor(60, 60, 60))
        self.view.setMinimumSize(400, 400)
        self.picture = QGraphicsPixmapItem()
        self.picture.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene.addItem(self.picture)
        self.iris_circle = QGraphicsEllipseItem()
        self.iris_circle.setPen(QPen(QColor(0, 200, 255), 0))  # cosmetic: one screen pixel
        self.iris_circle.setZValue(5)
        self.iris_circle.hide()
        self.scene.addItem(self.iris_circle)

        self.iris_button = QPushButton("Iris…")
        self.iris_button.setCheckable(True)
        self.iris_button.setToolTip("Click both edges of the iris, across it: its diameter sets the scale")
        self.iris_button.toggled.connect(self._iris_toggled)
        self.save_button = QPushButton("Save landmarks")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.clicked.connect(self.save)
        self.save_button.setEnabled(False)
        undo = QPushButton("Undo")
        undo.clicked.connect(self.undo_stack.undo)
        self.undo_stack.canUndoChanged.connect(undo.setEnabled)
        undo.setEnabled(False)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = QPushButton("Redo")
        redo.clicked.connect(self.undo_stack.redo)
        self.undo_stack.canRedoChanged.connect(redo.setEnabled)
        redo.setEnabled(False)
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.iris_label = QLabel("Iris: not measured")
        self.status = QLabel("Opening the photo…")
        self.message = FieldMessage()
        self.measures = QLabel()
        self.measures.setWordWrap(True)
        self.measures.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.measures.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.measures.setMinimumWidth(240)

        tools = QHBoxLayout()
        for widget in (self.save_button, undo, redo, self.iris_button, self.iris_label):
            tools.addWidget(widget)
        tools.addStretch(1)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(QLabel("Choose a landmark, then click the photo:"))
        left_column.addWidget(self.keys, 1)
        right = QWidget()
        right_column = QVBoxLayout(right)
        right_column.setContentsMargins(0, 0, 0, 0)
        right_column.addWidget(QLabel("<b>Measures</b>"))
        right_column.addWidget(self.measures, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.view)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(tools)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.resize(1200, 800)
        self.tasks.run(
            self._channel,
            partial(self._open, db, photo_id, chart_number),
            self._opened,
            self._not_opened,
            owner=self,
            failed=self._not_opened,
        )

    # loading

    @staticmethod
    def _open(db: Database, photo_id: int, chart_number: str | None) -> tuple[ReadPhoto, str, list[str]]:
        photo = read_photo(db, photo_id)
        chart = chart_number or chart_number_of(db, photo.record.patient_id)
        return photo, chart, measures_of(db, chart, photo_id)

    def _opened(self, result: tuple[ReadPhoto, str, list[str]]) -> None:
        photo, self.chart_number, lines = result
        self.record = photo.record
        pixmap = QPixmap.fromImage(photo.image)
        self.picture.setPixmap(pixmap)
        self.picture.setTransform(to_photo_pixels(photo.record, pixmap.width(), pixmap.height()))
        self.photo_rect = QRectF(0, 0, photo.record.width, photo.record.height)
        margin = 0.08 * max(photo.record.width, photo.record.height)
        self.scene.setSceneRect(self.photo_rect.adjusted(-margin, -margin, margin, margin))
        placed = photo.landmarks
        self.document.points = dict(placed.points) if placed else {}
        self.document.iris_px = placed.iris_diameter_px if placed else None
        for key in list(self.document.points):
            self._sync_marker(key)
        self._sync_iris()
        self._sync_list()
        self._show_measures(lines)
        self.save_button.setEnabled(True)
        self.status.setText(f"{photo.record.pose}, {photo.record.width} × {photo.record.height} px")
        self.fit()
        if self.keys.currentRow() < 0:
            self._choose_next()

    def fit(self) -> None:
        if not self.photo_rect.isEmpty():
            self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self.fit()

    # editing

    def chosen_key(self) -> str | None:
        item = self.keys.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def choose(self, key: str) -> None:
        for row in range(self.keys.count()):
            if self.keys.item(row).data(Qt.ItemDataRole.UserRole) == key:
                self.keys.setCurrentRow(row)
                return

    def _choose_next(self) -> None:
        """After a landmark is placed, the next one not yet placed is chosen."""
        start = max(self.keys.currentRow(), 0)
        for step in range(self.keys.count()):
            row = (start + step) % self.keys.count()
            if self.keys.item(row).data(Qt.ItemDataRole.UserRole) not in self.document.points:
                self.keys.setCurrentRow(row)
                return

    def _clicked(self, at: QPointF) -> None:
        if self.record is None:
            return
        if not self.photo_rect.contains(at):
            self.message.refused("That click is off the photo: click on the photo itself.")
            return
        if self.iris_button.isChecked():
            self._iris_click(at)
            return
        key = self.chosen_key()
        if key is None:
            self.message.refused("Choose a landmark in the list first.")
            return
        self.message.clear_message()
        self.undo_stack.push(
            PlaceLandmark(self.document, key, (at.x(), at.y()), f"place {Landmark(key).spoken}")
        )
        self._choose_next()

    def _dropped(self, key: str, start: Point, end: Point) -> None:
        self.message.clear_message()
        command = PlaceLandmark(self.document, key, end, f"move {key}")
        command.before = start  # the drag already moved the marker: undo puts it back
        self.undo_stack.push(command)

    def _iris_toggled(self, on: bool) -> None:
        self._iris_start = None
        self.status.setText("Iris: click one edge of the iris, then the opposite edge" if on else "")

    def _iris_click(self, at: QPointF) -> None:
        if self._iris_start is None:
            self._iris_start = at
            self.status.setText("Iris: now click the opposite edge")
            return
        start, self._iris_start = self._iris_start, None
        diameter = math.hypot(at.x() - start.x(), at.y() - start.y())
        self.iris_button.setChecked(False)
        if diameter <= 0:
            self.message.refused("The two clicks across the iris were at the same place.")
            return
        self.message.clear_message()
        self._iris_centre = (start + at) / 2
        self.undo_stack.push(SetIris(self.document, diameter))

    # the scene mirrors the document

    def _document_changed(self, kind: str, key: str) -> None:
        if kind == "point":
            self._sync_marker(key)
            self._sync_list()
        else:
            self._sync_iris()

    def _sync_marker(self, key: str) -> None:
        point = self.document.points.get(key)
        marker = self.markers.get(key)
        if point is None:
            if marker is not None:
                self.scene.removeItem(self.markers.pop(key))
            return
        if marker is None:
            marker = self.markers[key] = Marker(key, self.photo_rect, self._dropped)
            self.scene.addItem(marker)
        marker.setPos(QPointF(*point))

    def _sync_iris(self) -> None:
        iris = self.document.iris_px
        self.iris_label.setText("Iris: not measured" if iris is None else f"Iris: {iris:.1f} px")
        centre = self._iris_centre
        if centre is None and Landmark.PUPIL_R.value in self.document.points:
            centre = QPointF(*self.document.points[Landmark.PUPIL_R.value])
        if iris is None or centre is None:
            self.iris_circle.hide()
            return
        self.iris_circle.setRect(QRectF(centre.x() - iris / 2, centre.y() - iris / 2, iris, iris))
        self.iris_circle.show()

    def _sync_list(self) -> None:
        for row in range(self.keys.count()):
            item = self.keys.item(row)
            key = Landmark(item.data(Qt.ItemDataRole.UserRole))
            item.setText(("✓ " if key.value in self.document.points else "    ") + key.spoken)

    # saving

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def save(self) -> None:
        if self.record is None or self.chart_number is None:
            return
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")
        self.tasks.run(
            f"{self._channel}-save",
            partial(
                self._store,
                self.db,
                self.photo_id,
                self.chart_number,
                dict(self.document.points),
                self.document.iris_px,
            ),
            self._saved,
            self._refused,
            owner=self,
            failed=self._failed,
        )

    @staticmethod
    def _store(
        db: Database, photo_id: int, chart: str, points: dict[str, Point], iris_px: float | None
    ) -> tuple[PlacedLandmarks, list[str]]:
        placed = save_landmarks(db, photo_id, points, iris_px)
        return placed, measures_of(db, chart, photo_id)

    def _saved(self, result: tuple[PlacedLandmarks, list[str]]) -> None:
        placed, lines = result
        self.save_button.setEnabled(True)
        self.undo_stack.setClean()
        self.message.clear_message()
        self.status.setText(f"Saved {len(placed.points)} landmarks")
        self._show_measures(lines)

    def _not_opened(self, message: str) -> None:
        self.status.setText("The photo could not be opened")
        self.message.refused(f"The photo could not be opened: {message}")

    def _refused(self, message: str) -> None:
        self.save_button.setEnabled(self.record is not None)
        self.status.setText("Not saved")
        self.message.refused(f"Not saved: {message}")

    def _failed(self, message: str) -> None:
        self.save_button.setEnabled(self.record is not None)
        self.status.setText(f"Failed: {message}")

    def _show_measures(self, lines: list[str]) -> None:
        self.measures.setText("\n\n".join(lines) if lines else "no measures yet")

    def _clean_changed(self, clean: bool) -> None:
        self.setWindowTitle(("" if clean else "* ") + "Landmarks — Aliquot")

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)


def open_landmark_editor(
    parent: QWidget | None, db: Database, tasks: TaskRunner, photo_id: int, chart_number: str | None = None
) -> QWidget:
    """The landmark editor of one photo, in its own window (the caller keeps no reference
    needed: it closes itself away with its parent)."""
    editor = LandmarkEditor(db, tasks, photo_id, chart_number, parent)
    editor.setWindowFlag(Qt.WindowType.Window)
    editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    editor.show()
    return editor
