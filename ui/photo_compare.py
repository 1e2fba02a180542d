"""Compare: the same pose from two visits, side by side or blended with a slider, the later
photo turned, scaled and moved so that its pupils fall on the earlier photo's (the similarity
of models.asymmetry.align_on_eyes), with each photo's measures beside it.

The patient's photos and measures are read once when the view opens (on the TaskRunner).
Each photo is decoded once, off the GUI thread, and kept as a QPixmap by photo id, so
switching the pair or the mode afterwards only moves items in the scene.

Scene coordinates are the earlier photo's pixels: the earlier photo is drawn at the origin,
the later one inside a frame the size of the earlier photo (clipped to it), through the
alignment. Side by side, the frame sits to the right of the earlier photo; blended, on it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from functools import partial

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.services.asymmetry import PoseMeasurement, lines_of, patient_asymmetry
from app.services.photos import PhotoRecord, PlacedLandmarks, load_landmarks
from app.storage.database import Database
from models.asymmetry import Affine, align_on_eyes
from models.errors import AliquotError
from models.landmarks import Landmarks
from ui.landmark_editor import ReadPhoto, read_photo, to_photo_pixels
from ui.tasks import TaskRunner

CACHED_PHOTOS = 12  # decoded photos kept (about 12 MB each at 2048 px)
GAP = 0.03  # between the two photos side by side, as a fraction of the earlier photo's width
NOT_ALIGNED = "Not aligned: place the pupils on both photos to align them on the eyes."
ONE_VISIT = "Only one visit has a photo of this pose: the same photo is shown twice."


@dataclass(frozen=True)
class Shot:
    """One photo of the pose at one visit, with its measures."""

    photo_id: int
    visit_id: int
    day: date
    lines: tuple[str, ...]
    landmarks: PlacedLandmarks | None


@dataclass(frozen=True)
class PatientPhotos:
    """What the view reads once: per pose, the photo of each visit (the last one taken at that
    visit when there are several), oldest first."""

    chart_number: str
    poses: dict[str, list[Shot]]


def read_patient_photos(db: Database, chart_number: str) -> PatientPhotos:
    """Off the GUI thread: every photo's measures and landmarks (no image is read)."""
    measured: list[PoseMeasurement] = patient_asymmetry(db, chart_number)
    poses: dict[str, dict[int, Shot]] = {}
    for entry in measured:
        poses.setdefault(entry.pose, {})[entry.visit_id] = Shot(
            entry.photo_id,
            entry.visit_id,
            entry.visit_day,
            tuple(lines_of(entry)),
            load_landmarks(db, entry.photo_id),
        )
    return PatientPhotos(chart_number, {pose: list(shots.values()) for pose, shots in poses.items()})


def to_qtransform(affine: Affine) -> QTransform:
    """A 2 × 3 matrix (x' = a x + b y + c, y' = d x + e y + f) as Qt's (row-vector) transform."""
    (a, b, c), (d, e, f) = affine
    return QTransform(a, d, b, e, c, f)


@dataclass
class _Decoded:
    record: PhotoRecord
    pixmap: QPixmap


class CompareView(QWidget):
    def __init__(
        self,
        db: Database,
        tasks: TaskRunner,
        chart_number: str,
        pose: str | None = None,
        parent: QWidget | None = None,
        visits: tuple[int, int] | None = None,
    ):
        super().__init__(parent)
        self.db, self.tasks, self.chart_number = db, tasks, chart_number
        self._wanted_visits = visits  # (earlier, later) visit ids, instead of the first and latest
        self.setWindowTitle(f"Compare photos — {chart_number} — Aliquot")
        self._channel = f"compare-{id(self)}"
        self._wanted_pose = pose
        self.photos: PatientPhotos | None = None
        self.cache: OrderedDict[int, _Decoded] = OrderedDict()
        self._loading: set[int] = set()
        self.aligned = False
        self._later_transform = QTransform()
        self._filling = False

        self.pose_box = QComboBox()
        self.earlier_box = QComboBox()
        self.later_box = QComboBox()
        for box in (self.pose_box, self.earlier_box, self.later_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            box.setMinimumContentsLength(10)
        self.side_by_side = QRadioButton("Side by side")
        self.blend = QRadioButton("Blend")
        self.side_by_side.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.side_by_side)
        modes.addButton(self.blend)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(50)
        self.slider.setToolTip("How much of the later photo shows over the earlier one")
        self.slider.setMinimumWidth(160)
        self.slider.setEnabled(False)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #8a5a00")
        self.scene = QGraphicsScene(self)
        self.view = QGraphicsView(self.scene)
        self.view.setRenderHints(QPainter.RenderHint.SmoothPixmapTransform)
        self.view.setBackgroundBrush(QColor(45, 45, 45))
        self.view.setMinimumSize(480, 360)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.earlier_item = QGraphicsPixmapItem()
        self.frame = QGraphicsRectItem()
        self.frame.setPen(Qt.PenStyle.NoPen)
        self.frame.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape)
        self.later_item = QGraphicsPixmapItem(self.frame)
        for item in (self.earlier_item, self.later_item):
            item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene.addItem(self.earlier_item)
        self.scene.addItem(self.frame)
        self.earlier_heading, self.later_heading = QLabel(), QLabel()
        self.earlier_measures, self.later_measures = QLabel(), QLabel()
        for label in (self.earlier_measures, self.later_measures):
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel("Reading the patient's photos…")

        controls = QHBoxLayout()
        for text, widget in (
            ("Pose", self.pose_box),
            ("Earlier", self.earlier_box),
            ("Later", self.later_box),
        ):
            controls.addWidget(QLabel(text))
            controls.addWidget(widget)
        controls.addSpacing(12)
        controls.addWidget(self.side_by_side)
        controls.addWidget(self.blend)
        controls.addWidget(QLabel("earlier"))
        controls.addWidget(self.slider)
        controls.addWidget(QLabel("later"))
        controls.addStretch(1)
        side = QWidget()
        side.setMinimumWidth(260)
        side.setMaximumWidth(380)
        column = QVBoxLayout(side)
        column.setContentsMargins(6, 0, 0, 0)
        column.addWidget(self.earlier_heading)
        column.addWidget(self.earlier_measures)
        column.addSpacing(14)
        column.addWidget(self.later_heading)
        column.addWidget(self.later_measures)
        column.addStretch(1)
        splitter = QSplitter()
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

        self.pose_box.currentIndexChanged.connect(self._pose_chosen)
        self.earlier_box.currentIndexChanged.connect(self._pair_chosen)
        self.later_box.currentIndexChanged.connect(self._pair_chosen)
        self.side_by_side.toggled.connect(self._lay_out)
        self.slider.valueChanged.connect(self._blend_changed)
        self.resize(1280, 760)
        self.tasks.run(
            self._channel,
            partial(read_patient_photos, db, chart_number),
            self._read,
            self._refused,
            owner=self,
            failed=self._refused,
        )

    # the patient's photos

    def _read(self, photos: PatientPhotos) -> None:
        self.photos = photos
        poses = list(photos.poses)
        if not poses:
            self.status.setText("This patient has no photos yet.")
            return
        wanted = self._wanted_pose
        if wanted not in photos.poses:  # the first pose photographed at two visits or more
            wanted = next((pose for pose in poses if len(photos.poses[pose]) > 1), poses[0])
        self._filling = True
        self.pose_box.addItems(poses)
        self._filling = False
        self.pose_box.setCurrentIndex(poses.index(wanted))
        if self.pose_box.currentIndex() == 0:  # no change signal when the index stays 0
            self._pose_chosen(0)

    def shots(self) -> list[Shot]:
        if self.photos is None or self.pose_box.currentIndex() < 0:
            return []
        return self.photos.poses[self.pose_box.currentText()]

    def _pose_chosen(self, _index: int) -> None:
        if self._filling:
            return
        shots = self.shots()
        self._filling = True
        for box in (self.earlier_box, self.later_box):
            box.clear()
            for shot in shots:
                box.addItem(shot.day.isoformat(), shot.visit_id)
        self.earlier_box.setCurrentIndex(0)
        self.later_box.setCurrentIndex(len(shots) - 1)
        if self._wanted_visits is not None:  # asked for when opened: chosen once, if that pose has them
            for box, visit_id in zip((self.earlier_box, self.later_box), self._wanted_visits, strict=True):
                if box.findData(visit_id) >= 0:
                    box.setCurrentIndex(box.findData(visit_id))
            self._wanted_visits = None
        self._filling = False
        self._pair_chosen()

    def choose(self, pose: str | None = None, earlier: int | None = None, later: int | None = None) -> None:
        """Choose the pose and the two visits (by visit id), as the boxes do."""
        if pose is not None:
            self.pose_box.setCurrentText(pose)
        self._filling = True
        for box, visit_id in ((self.earlier_box, earlier), (self.later_box, later)):
            if visit_id is not None:
                box.setCurrentIndex(box.findData(visit_id))
        self._filling = False
        self._pair_chosen()

    def pair(self) -> tuple[Shot, Shot] | None:
        shots = self.shots()
        first, second = self.earlier_box.currentIndex(), self.later_box.currentIndex()
        if not shots or first < 0 or second < 0:
            return None
        return shots[first], shots[second]

    # images: decoded once, kept by photo id

    def _pair_chosen(self, _index: int = 0) -> None:
        if self._filling:
            return
        pair = self.pair()
        if pair is None:
            return
        missing = [shot.photo_id for shot in pair if shot.photo_id not in self.cache]
        if not missing:
            self._show(*pair)
            return
        self.status.setText("Opening the photos…")
        for photo_id in dict.fromkeys(missing):
            if photo_id in self._loading:
                continue
            self._loading.add(photo_id)
            self.tasks.run(
                f"{self._channel}-photo-{photo_id}",
                partial(read_photo, self.db, photo_id),
                self._decoded,
                self._refused,
                owner=self,
                ended=partial(self._loading.discard, photo_id),
                failed=self._refused,
            )

    def _decoded(self, photo: ReadPhoto) -> None:
        self.cache[photo.record.id] = _Decoded(photo.record, QPixmap.fromImage(photo.image))
        self.cache.move_to_end(photo.record.id)
        pair = self.pair()
        keep = {shot.photo_id for shot in pair} if pair else set()
        while len(self.cache) > CACHED_PHOTOS:
            oldest = next(key for key in self.cache if key not in keep)
            del self.cache[oldest]
        if pair is not None and all(shot.photo_id in self.cache for shot in pair):
            self._show(*pair)

    # the scene

    def _show(self, earlier: Shot, later: Shot) -> None:
        first, second = self.cache[earlier.photo_id], self.cache[later.photo_id]
        self.cache.move_to_end(earlier.photo_id)
        self.cache.move_to_end(later.photo_id)
        self.earlier_item.setPixmap(first.pixmap)
        self.earlier_item.setTransform(
            to_photo_pixels(first.record, first.pixmap.width(), first.pixmap.height())
        )
        self.later_item.setPixmap(second.pixmap)
        to_pixels = to_photo_pixels(second.record, second.pixmap.width(), second.pixmap.height())
        affine = self._alignment(earlier, first.record, later, second.record)
        self.aligned = affine is not None
        self._later_transform = to_qtransform(affine) if affine is not None else QTransform()
        self.later_item.setTransform(to_pixels * self._later_transform)
        framed = first.record if self.aligned else second.record
        self.frame.setRect(QRectF(0, 0, framed.width, framed.height))
        same = earlier.photo_id == later.photo_id
        self.note.setText(ONE_VISIT if same else "" if self.aligned else NOT_ALIGNED)
        self.note.setVisible(bool(self.note.text()))
        self.earlier_heading.setText(f"<b>Earlier: {earlier.day.isoformat()}</b>")
        self.later_heading.setText(
            f"<b>Later: {later.day.isoformat()}</b>" + (" (aligned on the eyes)" if self.aligned else "")
        )
        self.earlier_measures.setText("\n".join(earlier.lines))
        self.later_measures.setText("\n".join(later.lines))
        self.status.setText(f"{self.pose_box.currentText()}: {earlier.day} and {later.day}")
        self._lay_out()

    @staticmethod
    def _alignment(
        earlier: Shot, earlier_record: PhotoRecord, later: Shot, later_record: PhotoRecord
    ) -> Affine | None:
        if earlier.landmarks is None or later.landmarks is None or earlier.photo_id == later.photo_id:
            return None
        try:
            fixed = Landmarks.of(earlier.landmarks.points, earlier_record.width, earlier_record.height)
            moving = Landmarks.of(later.landmarks.points, later_record.width, later_record.height)
            return align_on_eyes(moving, fixed)
        except AliquotError:
            return None

    def later_transform(self) -> QTransform:
        """From the later photo's pixels to the earlier photo's (identity when not aligned)."""
        return QTransform(self._later_transform)

    def is_blended(self) -> bool:
        return self.blend.isChecked()

    def _lay_out(self, _checked: bool = False) -> None:
        blended = self.is_blended()
        self.slider.setEnabled(blended)
        first = self.earlier_item.boundingRect()
        width = first.width() * self.earlier_item.transform().m11()
        self.frame.setPos(QPointF(0, 0) if blended else QPointF(width * (1 + GAP), 0))
        self.later_item.setOpacity(self.slider.value() / 100 if blended else 1.0)
        self.scene.setSceneRect(self.scene.itemsBoundingRect())
        self.fit()

    def _blend_changed(self, value: int) -> None:
        if self.is_blended():
            self.later_item.setOpacity(value / 100)

    def fit(self) -> None:
        self.view.fitInView(self.scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self.fit()

    def rendered(self, source: QRectF | None = None) -> QImage:
        """The scene drawn at one pixel per photo pixel (of `source`, by default the earlier
        photo's rectangle): what the view shows, unscaled."""
        if source is None:
            source = QRectF(0, 0, *self._earlier_size())
        image = QImage(int(source.width()), int(source.height()), QImage.Format.Format_RGB32)
        image.fill(QColor(0, 0, 0))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.scene.render(painter, QRectF(image.rect()), source)
        painter.end()
        return image

    def _earlier_size(self) -> tuple[float, float]:
        box = self.earlier_item.mapRectToScene(self.earlier_item.boundingRect())
        return box.width(), box.height()

    def _refused(self, message: str) -> None:
        self.status.setText(f"Photos not shown: {message}")


def open_compare(
    parent: QWidget | None,
    db: Database,
    tasks: TaskRunner,
    chart_number: str,
    pose: str | None = None,
    visits: tuple[int, int] | None = None,
) -> QWidget:
    """The Compare view of a patient's photos, in its own window: `pose` (by default the
    first photographed at two visits), at the first and the latest visit with it, or at
    `visits` (earlier, later visit ids)."""
    view = CompareView(db, tasks, chart_number, pose, parent, visits)
    view.setWindowFlag(Qt.WindowType.Window)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.show()
    return view
