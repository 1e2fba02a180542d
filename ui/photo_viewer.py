"""A photo shown large beside the face map, at the pose being charted; one key turns it to
the same pose at the patient's previous visit and back. The stored image is read (an
audited view) and decoded on the task runner, then scaled to the panel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from app.services.photos import PhotoRecord, photo_image, previous_of_pose
from app.services.visits import get_visit
from app.storage.database import Database
from ui.photo_strip import pose_label

SHOWN_SIDE = 1600  # pixels: the decoded image kept for the panel (the stored one is up to 4096)


@dataclass(frozen=True)
class ShownPhoto:
    record: PhotoRecord
    image: QImage
    visit_started: Any  # datetime of the photo's visit


def load_photo(database: Database, photo_id: int) -> ShownPhoto:
    """The stored image (checked and audited by the service), decoded off the GUI thread."""
    record, data = photo_image(database, photo_id)
    image = QImage.fromData(data)
    if max(image.width(), image.height()) > SHOWN_SIDE:
        image = image.scaled(
            SHOWN_SIDE,
            SHOWN_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if record.visit_id is None:  # an adverse event's photo: when it was taken
        return ShownPhoto(record, image, record.taken_at or record.added_at)
    return ShownPhoto(record, image, get_visit(database, record.visit_id).started_at)


def load_previous(database: Database, photo_id: int) -> ShownPhoto | None:
    """The same pose at the patient's latest earlier visit, or None."""
    earlier = previous_of_pose(database, photo_id)
    return load_photo(database, earlier.id) if earlier is not None else None


class PhotoViewer(QWidget):
    """The side panel. `run(channel, work, done, failed)` is the editor's task runner."""

    closed = Signal()

    def __init__(
        self,
        database: Database,
        run: Callable[..., None],
        timezone: tzinfo,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.database, self.run, self.timezone = database, run, timezone
        self.current: ShownPhoto | None = None  # the chosen photo of this visit
        self.previous: ShownPhoto | None = None  # its pose at the previous visit, once asked for
        self.showing_previous = False
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.title.setAccessibleName("Photo shown")
        self.previous_button = QToolButton()
        self.previous_button.setText("Previous (P)")
        self.previous_button.setCheckable(True)
        self.previous_button.setToolTip("The same pose at the patient's previous visit, and back (P)")
        self.previous_button.clicked.connect(lambda _checked: self.toggle_previous())
        close = QToolButton()
        close.setText("×")
        close.setToolTip("Hide the photo")
        close.clicked.connect(self.hide_photo)
        self.image = QLabel("Choose a photo in the strip below.")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(200, 200)
        self.image.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.image.setStyleSheet("background: #202124; color: #ddd")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.previous_button)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.image, 1)
        self._pixmap = QPixmap()

    # ------------------------------------------------------------------ showing

    def show_photo(self, record: PhotoRecord) -> None:
        """Show this photo of the visit (read on the runner); the previous one is forgotten."""
        self.current, self.previous, self.showing_previous = None, None, False
        self.previous_button.setChecked(False)
        self.title.setText(f"<b>{pose_label(record.pose)}</b> — loading…")
        self.show()
        self.run("photo", partial(load_photo, self.database, record.id), self._loaded, self._refused)

    def _loaded(self, shown: ShownPhoto) -> None:
        self.current = shown
        self._display(shown, previous=False)

    def toggle_previous(self) -> None:
        """This visit's photo ↔ the same pose at the previous visit (P)."""
        if self.current is None:
            self.previous_button.setChecked(False)
            return
        if self.showing_previous:
            self._display(self.current, previous=False)
        elif self.previous is not None:
            self._display(self.previous, previous=True)
        else:
            self.title.setText(f"<b>{pose_label(self.current.record.pose)}</b> — previous visit: loading…")
            self.run(
                "photo-previous",
                partial(load_previous, self.database, self.current.record.id),
                self._previous_loaded,
                self._refused,
            )

    def _previous_loaded(self, shown: ShownPhoto | None) -> None:
        if self.current is None:
            return
        if shown is None:
            self.previous_button.setChecked(False)
            self.title.setText(
                f"<b>{pose_label(self.current.record.pose)}</b> — this visit."
                " <i>No earlier visit has a photo of this pose.</i>"
            )
            return
        self.previous = shown
        self._display(shown, previous=True)

    def _display(self, shown: ShownPhoto, previous: bool) -> None:
        self.showing_previous = previous
        self.previous_button.setChecked(previous)
        when = shown.visit_started.astimezone(self.timezone)
        which = f"previous visit, {when:%Y-%m-%d}" if previous else f"this visit, {when:%Y-%m-%d}"
        style = "color: #8a4b00" if previous else ""
        self.title.setText(f"<b>{pose_label(shown.record.pose)}</b> — <span style='{style}'>{which}</span>")
        self._pixmap = QPixmap.fromImage(shown.image)
        self._fit()

    def _refused(self, message: str) -> None:
        self.title.setText(f"<span style='color:#b00020'>{message}</span>")

    def hide_photo(self) -> None:
        self.hide()
        self.closed.emit()

    def shown_record(self) -> PhotoRecord | None:
        """The photo on the panel now (this visit's, or the previous visit's)."""
        shown = self.previous if self.showing_previous else self.current
        return shown.record if shown is not None else None

    # ------------------------------------------------------------------ scaling

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        self.image.setPixmap(
            self._pixmap.scaled(
                self.image.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._fit()
