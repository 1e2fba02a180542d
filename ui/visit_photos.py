"""The visit editor's photos: the visit's strip, adding photo files (the file dialog, a drop,
a watched folder) with a pose and consent scope, and the photo beside the face map.

Each file is read and added on the task runner, one after another: a refused file (damaged,
hostile, not a photo) stores nothing and is said in one line under the strip, and the
other files still go in. Only a user who may chart adds photos. The watched folder is this
workstation's setting (ui/workstation_settings.py): it is looked at every few seconds on
the runner, and files that appeared since are offered to the open visit, each once."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.photos import PhotoRecord, add_photo, read_photo_file, thumbnails, visit_photos
from app.storage.database import Database
from models.accounts import Permission
from models.errors import ValidationError
from models.vocabulary import PhotoScope, Pose
from ui.field_message import REFUSED_STYLE
from ui.photo_strip import PhotoStrip, StripItem, choose_photo_files, photo_paths, pose_label
from ui.photo_viewer import PhotoViewer
from ui.workstation_settings import PHOTO_FOLDER, WorkstationSettings

if TYPE_CHECKING:
    from ui.visit_editor import VisitEditor
    from ui.visit_saving import Timer

POLL_MS = 2000  # how often the watched folder is looked at
SETTLED_SECONDS = 2.0  # a file untouched this long is whole (a camera may still be writing it)
BANNER_STYLE = "QFrame#photoBanner {background: #e8f0fe; border: 1px solid #8ab4f8; padding: 2px}"


def add_photo_file(
    database: Database, visit_id: int, path: Path, pose: str, scope: PhotoScope
) -> PhotoRecord:
    return add_photo(database, visit_id, read_photo_file(path), pose, scope, source_name=path.name)


def scan_folder(folder: Path) -> dict[Path, tuple[int, float]]:
    """The photo files in a folder, with their size and modification time."""
    try:
        entries = list(os.scandir(folder))
    except OSError as error:
        raise ValidationError(
            f"the watched folder {folder} cannot be read ({error.strerror or error})", "photos"
        ) from None
    found = {}
    for entry in entries:
        try:
            if entry.is_file():
                stat = entry.stat()
                found[Path(entry.path)] = (stat.st_size, stat.st_mtime)
        except OSError:
            continue  # gone while listed
    return {path: found[path] for path in photo_paths(list(found))}


class PhotoFolderWatch(QObject):
    """Looks at a folder every POLL_MS (on the runner) and offers the photo files that
    appeared since watching began, each once, when whole: unchanged since the last look or
    untouched for SETTLED_SECONDS."""

    offered = Signal(list)  # [Path]
    problem = Signal(str)

    def __init__(self, editor: VisitEditor, timer: Timer | None = None):
        super().__init__(editor)
        self.editor = editor
        self.folder: Path | None = None
        self.seen: set[Path] = set()
        self.last: dict[Path, tuple[int, float]] = {}
        self._baseline = True
        self._problem = ""
        if timer is None:
            timer = QTimer(self, interval=POLL_MS)
        self.timer = timer
        self.timer.timeout.connect(self.poll)

    def watch(self, folder: Path | None) -> None:
        """Watch this folder (None: none). The files already there are not offered."""
        self.folder = folder
        self.seen, self.last, self._baseline, self._problem = set(), {}, True, ""
        if folder is None:
            self.timer.stop()
            return
        self.timer.start()
        self.poll()

    def poll(self) -> None:
        if self.folder is None:
            return
        folder = self.folder
        self.editor.run_task(
            "photo-folder", partial(scan_folder, folder), partial(self._scanned, folder), self._failed
        )

    def _failed(self, message: str) -> None:
        if message != self._problem:  # said once, not every two seconds
            self._problem = message
            self.problem.emit(message)

    def _scanned(self, folder: Path, found: dict[Path, tuple[int, float]]) -> None:
        if folder != self.folder:
            return  # another folder was chosen meanwhile
        self._problem = ""
        if self._baseline:
            self.seen = set(found)
            self._baseline = False
        else:
            now = time.time()
            new = [
                path
                for path, (size, modified) in sorted(found.items(), key=lambda kv: (kv[1][1], kv[0]))
                if path not in self.seen
                and size > 0
                and (self.last.get(path) == (size, modified) or now - modified >= SETTLED_SECONDS)
            ]
            if new:
                self.seen.update(new)
                self.offered.emit(new)
        self.last = found


@dataclass
class _Batch:
    """Files being added together, and what became of them."""

    pose: str
    scope: PhotoScope
    added: int = 0
    refused: list[str] | None = None


class VisitPhotos(QObject):
    def __init__(
        self,
        editor: VisitEditor,
        settings: WorkstationSettings | None = None,
        poll_timer: Timer | None = None,
    ):
        super().__init__(editor)
        self.editor = editor
        database: Database = editor.database
        self.settings = settings if settings is not None else WorkstationSettings()
        self.strip = PhotoStrip(editor.tasks, partial(thumbnails, database), editor)
        self.strip.photo_chosen.connect(self._photo_chosen)
        self.strip.files_dropped.connect(self.add_files)
        self.viewer = PhotoViewer(database, editor.run_task, database.timezone, editor)
        self.viewer.hide()
        self.pose = QComboBox()
        self.pose.setAccessibleName("Pose of the photos added")
        for pose in Pose:
            self.pose.addItem(pose_label(pose), pose.value)
        self.pose.setToolTip(
            "The pose of the photos added next (a drop, Add photos…, the watched folder);"
            " type a clinic's own pose, e.g. lip eversion"
        )
        self.pose.setEditable(True)  # a clinic's own poses are typed; the service checks them
        self.pose.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.scope = QComboBox()
        self.scope.setAccessibleName("Consent scope of the photos added")
        for scope in PhotoScope:
            self.scope.addItem(scope.value.capitalize(), scope.value)
        self.scope.setToolTip(
            "What the patient consented the photos may be used for: clinical record, teaching, marketing"
        )
        self.add_button = QPushButton("Add photos…")
        # The chosen photo's landmarks (asymmetry in mm), and its pose compared across visits.
        self.landmarks_button = QPushButton("Landmarks…")
        self.landmarks_button.setToolTip("Place the facial landmarks and the iris on the chosen photo")
        self.compare_button = QPushButton("Compare…")
        self.compare_button.setToolTip("The chosen photo's pose at two visits, side by side or blended")
        for button in (self.landmarks_button, self.compare_button):
            button.setEnabled(False)
        self.landmarks_button.clicked.connect(self.open_landmarks)
        self.compare_button.clicked.connect(self.open_compare)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAccessibleName("Photo messages")
        self.message.hide()
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.PlainText)
        self.banner_add = QPushButton("Add to this visit")
        self.banner_dismiss = QPushButton("Dismiss")
        self.banner = QFrame()
        self.banner.setObjectName("photoBanner")
        self.banner.setStyleSheet(BANNER_STYLE)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(6, 2, 6, 2)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.banner_add)
        row.addWidget(self.banner_dismiss)
        self.banner.hide()
        self.banner_add.clicked.connect(self.add_offered)
        self.banner_dismiss.clicked.connect(self.dismiss_offered)
        self.offered: list[Path] = []
        self.watch = PhotoFolderWatch(editor, poll_timer)
        self.watch.offered.connect(self._offer)
        self.watch.problem.connect(self.say_refused)
        self._queue: list[tuple[Path, _Batch]] = []
        self._adding = False
        self.panel = self._build_panel()

    def chosen_pose(self) -> str:
        """The pose chosen, or the clinic's own typed ("Lip eversion" is kept as lip-eversion)."""
        typed = self.pose.currentText().strip()
        index = self.pose.findText(typed)
        if index >= 0:
            return str(self.pose.itemData(index))
        return "-".join(typed.lower().split())

    def _build_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>Photos</b>"))
        top.addStretch(1)
        top.addWidget(self.landmarks_button)
        top.addWidget(self.compare_button)
        top.addWidget(self.add_button)
        layout.addLayout(top)
        row = QHBoxLayout()
        row.addWidget(QLabel("Pose:"))
        row.addWidget(self.pose, 1)
        row.addWidget(QLabel("Consent:"))
        row.addWidget(self.scope, 1)
        layout.addLayout(row)
        layout.addWidget(self.banner)
        layout.addWidget(self.strip)
        layout.addWidget(self.message)
        return panel

    def start(self) -> None:
        """The visit's photos into the strip; the watched folder, if this workstation has one."""
        self.editor.run_task(
            "visit-photos",
            partial(visit_photos, self.editor.database, self.editor.visit.id),
            self._loaded,
        )
        folder = self.settings.get(PHOTO_FOLDER)
        if folder and self.may_add():
            self.watch.watch(Path(folder))

    def _loaded(self, records: list[PhotoRecord]) -> None:
        self.strip.set_items([StripItem(r) for r in records])

    # ------------------------------------------------------------------ who may

    def may_add(self) -> bool:
        user = self.editor.database.user
        return user is None or user.may(Permission.CHART)

    def update_enabled(self) -> None:
        allowed = self.may_add()
        for widget in (self.pose, self.scope, self.add_button, self.banner_add):
            widget.setEnabled(allowed)
        self.strip.setAcceptDrops(allowed)
        self.add_button.setToolTip(
            "Add photo files to this visit (or drop them on the strip)"
            if allowed
            else "Your role cannot add photos: an injector or prescriber adds them"
        )

    # ------------------------------------------------------------------ adding

    @classmethod
    def ask_photo_paths(cls, parent: QWidget) -> list[str]:
        """Tests replace this."""
        return choose_photo_files(parent, "Add photos to this visit")

    @classmethod
    def ask_photo_folder(cls, parent: QWidget, current: str) -> str | None:
        """Tests replace this. The folder to watch; "" stops watching; None: unchanged."""
        folder = QFileDialog.getExistingDirectory(parent, "Watch a folder for photos", current)
        return folder or None

    def choose_files(self) -> None:
        if not self.may_add():
            self.say_refused("Your role cannot add photos.")
            return
        paths = self.ask_photo_paths(self.editor)
        if paths:
            # What the dialog gives is added as chosen (a file of another kind is refused by name).
            self.add_files([Path(p) for p in paths])

    def choose_folder(self) -> None:
        if not self.may_add():
            self.say_refused("Your role cannot add photos.")
            return
        current = self.settings.get(PHOTO_FOLDER)
        folder = self.ask_photo_folder(self.editor, current)
        if folder is None:
            return
        self.settings.set(PHOTO_FOLDER, folder)
        self.watch.watch(Path(folder) if folder else None)
        self.dismiss_offered()
        self.say(f"Watching {folder} for new photos." if folder else "No folder is watched for photos.")

    def add_files(self, paths: list[Path]) -> None:
        """Add these files with the chosen pose and scope, one after another on the runner."""
        if not paths:
            return
        if not self.may_add():
            self.say_refused("Your role cannot add photos.")
            return
        batch = _Batch(self.chosen_pose(), PhotoScope(self.scope.currentData()), refused=[])
        self._queue.extend((path, batch) for path in paths)
        self.say(f"Adding {len(paths)} photo{'s' if len(paths) > 1 else ''}…")
        if not self._adding:
            self._next()

    def _next(self) -> None:
        if not self._queue:
            self._adding = False
            return
        self._adding = True
        path, batch = self._queue.pop(0)
        visit_id = self.editor.visit.id
        self.editor.run_task(
            "add-photo",
            partial(add_photo_file, self.editor.database, visit_id, path, batch.pose, batch.scope),
            partial(self._added, batch),
            partial(self._refused, batch),
        )

    def _added(self, batch: _Batch, record: PhotoRecord) -> None:
        batch.added += 1
        self.strip.append(StripItem(record))
        self.editor.tasks.announce(record.changes)  # the patient page shows it
        self._batch_step(batch)

    def _refused(self, batch: _Batch, message: str) -> None:
        assert batch.refused is not None
        batch.refused.append(message)
        self._batch_step(batch)

    def _batch_step(self, batch: _Batch) -> None:
        if not any(queued is batch for _path, queued in self._queue):
            self._say_batch(batch)
        self._next()

    def _say_batch(self, batch: _Batch) -> None:
        refused = batch.refused or []
        added = (
            f"Added {batch.added} photo{'s' if batch.added != 1 else ''}"
            f" ({pose_label(batch.pose)}, {batch.scope.value})."
            if batch.added
            else ""
        )
        if refused:
            lines = "<br>".join(f"Not added: {escape(line)}" for line in refused)
            self.message.setText(f"{escape(added)}<br>{lines}" if added else lines)
            self.message.setStyleSheet(REFUSED_STYLE)
            self.message.show()
            self.editor.statusBar().showMessage(f"Not added: {refused[0]}", 15000)
        else:
            self.say(added)

    def say(self, text: str) -> None:
        self.message.setText(escape(text))
        self.message.setStyleSheet("color: #555")
        self.message.setVisible(bool(text))

    def say_refused(self, text: str) -> None:
        self.message.setText(escape(text))
        self.message.setStyleSheet(REFUSED_STYLE)
        self.message.show()

    def message_text(self) -> str:
        """The message under the strip as plain text (tests and the accessible name read it)."""
        return self.message.text().replace("<br>", "\n")

    # ------------------------------------------------------------------ the watched folder

    def _offer(self, paths: list[Path]) -> None:
        self.offered.extend(p for p in paths if p not in self.offered)
        count = len(self.offered)
        folder = self.watch.folder
        self.banner_text.setText(
            f"{count} new photo{'s' if count > 1 else ''} in {folder}:"
            f" {', '.join(p.name for p in self.offered[:3])}{' …' if count > 3 else ''}"
        )
        self.banner.show()

    def add_offered(self) -> None:
        paths, self.offered = self.offered, []
        self.banner.hide()
        self.add_files(paths)

    def dismiss_offered(self) -> None:
        self.offered = []
        self.banner.hide()

    # ------------------------------------------------------------------ beside the face map

    def _photo_chosen(self, record: PhotoRecord) -> None:
        self.viewer.show_photo(record)
        self.chosen = record
        self.compare_button.setEnabled(True)
        self.landmarks_button.setEnabled(self.may_add())

    chosen: PhotoRecord | None = None

    def open_landmarks(self) -> QWidget | None:
        from ui.landmark_editor import open_landmark_editor

        if self.chosen is None:
            return None
        editor = self.editor
        return open_landmark_editor(
            editor, editor.database, editor.tasks, self.chosen.id, chart_number=editor.patient.chart_number
        )

    def open_compare(self) -> QWidget | None:
        from ui.photo_compare import open_compare

        if self.chosen is None:
            return None
        editor = self.editor
        return open_compare(
            editor, editor.database, editor.tasks, editor.patient.chart_number, pose=self.chosen.pose
        )

    def toggle_previous(self) -> None:
        """P: the chosen photo's pose at the previous visit, and back."""
        if self.viewer.current is None:
            self.editor.statusBar().showMessage("Choose a photo in the strip first.", 5000)
            return
        self.viewer.toggle_previous()

    def dropped(self, event: Any) -> bool:
        """A drop on the editor: photo files are added. False: not photos."""
        from ui.photo_strip import dropped_paths

        paths = dropped_paths(event.mimeData())
        if paths and self.may_add():
            self.add_files(paths)
            return True
        return False
