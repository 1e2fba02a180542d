"""A horizontal strip of photo thumbnails with their pose (and, on the patient page, the
visit's date). The strip opens at once with placeholders; the thumbnails of the items in
view are then asked for on the task runner, a batch at a time, as they scroll into view:
a patient with 500 photos costs 500 list rows, not 500 images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from models.vocabulary import Pose
from ui.tasks import TaskRunner

if TYPE_CHECKING:  # Pillow is loaded with the photos service, not at start
    from app.services.photos import PhotoRecord

ICON_SIDE = 112  # pixels: the thumbnail as the strip shows it
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif"}

Index = QModelIndex | QPersistentModelIndex


POSE_LABELS = {
    Pose.REST: "Rest",
    Pose.REST_OBLIQUE_LEFT: "Oblique left",
    Pose.REST_OBLIQUE_RIGHT: "Oblique right",
    Pose.PROFILE_LEFT: "Profile left",
    Pose.PROFILE_RIGHT: "Profile right",
    Pose.BROW_RAISE: "Brow raise",
    Pose.FROWN: "Frown",
    Pose.SMILE: "Smile",
    Pose.PUCKER: "Pucker",
    Pose.EYES_CLOSED: "Eyes closed",
}


def pose_label(pose: str) -> str:
    """A standard pose in words ("Oblique left"); a clinic's own key as it is kept."""
    return POSE_LABELS.get(pose, pose)  # type: ignore[call-overload]


def choose_photo_files(parent: QWidget, title: str) -> list[str]:
    """The file dialog that picks photos to add (tests replace the callers' hooks)."""
    from PySide6.QtWidgets import QFileDialog

    paths, _ = QFileDialog.getOpenFileNames(
        parent, title, "", "Photos (*.jpg *.jpeg *.png *.tif *.tiff *.heic *.heif);;All files (*)"
    )
    return paths


def photo_paths(paths: list[Path]) -> list[Path]:
    """The files among these that may be photos (by their name; the service reads them)."""
    return [p for p in paths if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".")]


def dropped_paths(mime: Any) -> list[Path]:
    """The local photo files a drag carries (none: it is not a drop of photos)."""
    if not mime.hasUrls():
        return []
    return photo_paths([Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()])


@dataclass(frozen=True)
class StripItem:
    record: PhotoRecord
    visit_date: date | None = None  # shown on the patient page, where photos of many visits sit together

    @property
    def caption(self) -> str:
        pose = pose_label(self.record.pose)
        return f"{self.visit_date.isoformat()}\n{pose}" if self.visit_date else pose


def _placeholder() -> QPixmap:
    """A grey card in the thumbnail's square (every item is the same size: captions stay put)."""
    pixmap = QPixmap(ICON_SIDE, ICON_SIDE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.fillRect(0, ICON_SIDE // 8, ICON_SIDE, ICON_SIDE * 3 // 4, QColor("#e4e6e8"))
    painter.setPen(QColor("#9aa0a6"))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "…")
    painter.end()
    return pixmap


def squared(image: QImage) -> QImage:
    """The thumbnail scaled into the strip's square, centred on a transparent ground."""
    scaled = image.scaled(
        ICON_SIDE, ICON_SIDE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )
    square = QImage(ICON_SIDE, ICON_SIDE, QImage.Format.Format_ARGB32_Premultiplied)
    square.fill(Qt.GlobalColor.transparent)
    painter = QPainter(square)  # painting on a QImage is allowed on any thread
    painter.drawImage((ICON_SIDE - scaled.width()) // 2, (ICON_SIDE - scaled.height()) // 2, scaled)
    painter.end()
    return square


def decoded_thumbnails(fetch: Callable[[list[int]], dict[int, bytes]], ids: list[int]) -> dict[int, QImage]:
    """Thumbnails read and decoded off the GUI thread (a QImage may be made on any thread)."""
    images = {}
    for photo_id, data in fetch(ids).items():
        image = QImage.fromData(data)
        if not image.isNull():
            images[photo_id] = squared(image)
    return images


class PhotoStripModel(QAbstractListModel):
    """The photos, a placeholder for each thumbnail until it arrives."""

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.items: list[StripItem] = []
        self.pixmaps: dict[int, QPixmap] = {}
        self._row_of: dict[int, int] = {}
        self.placeholder = _placeholder()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.caption
        if role == Qt.ItemDataRole.DecorationRole:
            return self.pixmaps.get(item.record.id, self.placeholder)
        if role == Qt.ItemDataRole.ToolTipRole:
            record = item.record
            taken = f", taken {record.taken_at:%Y-%m-%d %H:%M}" if record.taken_at else ""
            return (
                f"{pose_label(record.pose)} ({record.scope.value}){taken}, {record.width} × {record.height}"
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return item.caption.replace("\n", ", ")
        if role == Qt.ItemDataRole.UserRole:
            return item.record
        return None

    def set_items(self, items: list[StripItem]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self._row_of = {item.record.id: row for row, item in enumerate(self.items)}
        self.pixmaps = {k: v for k, v in self.pixmaps.items() if k in self._row_of}
        self.endResetModel()

    def append(self, item: StripItem) -> None:
        row = len(self.items)
        self.beginInsertRows(QModelIndex(), row, row)
        self.items.append(item)
        self._row_of[item.record.id] = row
        self.endInsertRows()

    def set_thumbnails(self, images: dict[int, QImage]) -> None:
        for photo_id, image in images.items():
            row = self._row_of.get(photo_id)
            if row is None:
                continue  # the strip moved on to another patient meanwhile
            self.pixmaps[photo_id] = QPixmap.fromImage(image)
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def record(self, row: int) -> PhotoRecord:
        return self.items[row].record


class PhotoStrip(QListView):
    """One row of thumbnails. `fetch(ids)` gives thumbnails (app.services.photos.thumbnails
    bound to the database); it runs on the task runner, only for the items in view."""

    photo_chosen = Signal(object)  # PhotoRecord
    files_dropped = Signal(list)  # [Path]: photo files dropped on the strip

    def __init__(
        self,
        tasks: TaskRunner,
        fetch: Callable[[list[int]], dict[int, bytes]],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.tasks = tasks
        self.fetch = fetch
        self.photos = PhotoStripModel(self)
        self.setModel(self.photos)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.setGridSize(QSize(ICON_SIDE + 16, ICON_SIDE + 44))
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setFixedHeight(ICON_SIDE + 44 + self.horizontalScrollBar().sizeHint().height() + 6)
        self.setAccessibleName("Photos")
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDropIndicatorShown(False)
        self.requested: set[int] = set()  # photo ids whose thumbnail was asked for
        self.batches: list[list[int]] = []  # each request, in order (what the tests count)
        self._channel = f"thumbnails-{id(self)}-"
        self.horizontalScrollBar().valueChanged.connect(lambda _value: self.load_visible())
        self.selectionModel().currentChanged.connect(self._current_changed)

    # ------------------------------------------------------------------ contents

    def set_items(self, items: list[StripItem]) -> None:
        """Show these photos (placeholders first); the thumbnails in view are asked for."""
        self.photos.set_items(items)
        self.requested &= {item.record.id for item in items}
        self.load_visible()

    def append(self, item: StripItem) -> None:
        self.photos.append(item)
        self.scrollTo(self.photos.index(self.photos.rowCount() - 1))
        self.load_visible()

    def records(self) -> list[PhotoRecord]:
        return [item.record for item in self.photos.items]

    def visible_rows(self) -> list[int]:
        """The rows at least partly in view (walked from the first in view: never every row)."""
        count = self.photos.rowCount()
        if count == 0 or not self.isVisible():
            return []
        area = self.viewport().rect()
        grid = self.gridSize().width() or 1
        first = max(0, min(count - 1, self.horizontalScrollBar().value() // grid - 1))
        rows = []
        for row in range(first, count):
            rect = self.visualRect(self.photos.index(row))
            if rect.left() > area.right():
                break
            if rect.intersects(area):
                rows.append(row)
        return rows

    def load_visible(self) -> None:
        """Ask for the thumbnails in view that were not asked for yet (one batch)."""
        wanted = [
            self.photos.record(row).id
            for row in self.visible_rows()
            if self.photos.record(row).id not in self.requested
        ]
        if not wanted:
            return
        self.requested.update(wanted)
        self.batches.append(wanted)
        # Each batch on its own channel: a later batch never drops an earlier one's answer.
        self.tasks.run(
            f"{self._channel}{len(self.batches)}",
            partial(decoded_thumbnails, self.fetch, wanted),  # holds no widget: ends on a pool thread
            self.photos.set_thumbnails,
            refused=lambda _message: self.requested.difference_update(wanted),
            owner=self,
            failed=lambda _message: self.requested.difference_update(wanted),
        )

    def loaded(self) -> set[int]:
        """The photos whose thumbnail is shown."""
        return set(self.photos.pixmaps)

    # ------------------------------------------------------------------ events

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.load_visible()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.load_visible()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.photo_chosen.emit(self.photos.record(current.row()))

    def dragEnterEvent(self, event: Any) -> None:
        if dropped_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:
        paths = dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
        else:
            event.ignore()
