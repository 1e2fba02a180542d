"""Facial asymmetry in millimetres, from the landmarks placed on a frontal photo.

Scale. Millimetres per pixel come from the iris: the horizontal visible iris diameter is
taken as 11.7 mm (`IRIS_DIAMETER_MM`) and divided by its diameter in pixels on the photo,
unless the clinic calibrates (a ruler in the photo, a fixed camera rig) and gives its own
millimetres per pixel.

The face's own frame. Every measure is taken in a frame set by the face, not by the image,
so a tilted head, a closer or farther camera and a shifted crop change nothing:
- origin: the midpoint of the two pupils;
- horizontal ("lateral") axis: the interpupillary line, positive toward the PATIENT's left
  (the image's right in a frontal photo);
- vertical axis: perpendicular to it, positive UP (toward the forehead);
- facial midline: the perpendicular to the interpupillary line through the midpoint of the
  pupils (by default) or through the midpoint of the medial canthi (`Midline.CANTHI`).
A height is the signed distance from the interpupillary line along the vertical axis.

Paired measures (left, right, in mm; difference = left − right; `greater` names the side
with the greater value once the sides differ by `EVEN_WITHIN_MM` or more):
- brow height: height of the brow peak above the interpupillary line (positive). A positive
  difference: the patient's left brow is higher.
- palpebral fissure height: the vertical lid opening, height of the upper lid margin minus
  height of the lower lid margin, both at the mid-pupil. Positive difference: the left eye
  is more open.
- commissure height: height of the oral commissure relative to the interpupillary line
  (negative: the mouth is below the eyes). Positive difference: the left corner sits higher.
- upper-lip show: height of the Cupid's bow peak above the level of the mouth corners (the
  mean height of the two commissures), per side. The reference is common to both sides, so
  the difference is the difference of the two peaks' heights: a positive difference means
  more upper vermilion shows on the left, at the philtral column. (An absolute vermilion
  height would need the stomion, which is not a landmark.)
- smile excursion: given a photo at rest and one in animation, the distance the commissure
  moved, each position taken in its own photo's face frame and scale (so the head may move
  between the photos). Positive difference: the left corner moves more.

Midline deviation (not paired): the signed lateral distance of the lower-lip midpoint and
of the chin from the facial midline, positive toward the patient's LEFT, negative toward
the right.

Change from a previous visit: each value now minus the same value then (`change`).

Alignment for side-by-side or blended comparison: the similarity transform (one scale, one
rotation, a translation) that maps one photo's pupils exactly onto another's
(`align_on_eyes`), as a 2 × 3 affine matrix on image pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from models.errors import ValidationError
from models.landmarks import Landmark, Landmarks, Point
from models.vocabulary import Side as Side  # the patient's side (never the midline here)

IRIS_DIAMETER_MM = 11.7
# Two sides whose values differ by less than this are reported as even (`greater` is None);
# the numbers themselves are kept exact. A landmark placed by hand is not surer than about a
# pixel, 0.1 to 0.25 mm on a typical clinic photo, so the sides' order is not shown below this.
EVEN_WITHIN_MM = 0.1

# A 2 × 3 affine matrix ((a, b, c), (d, e, f)): x' = a x + b y + c, y' = d x + e y + f.
Affine = tuple[tuple[float, float, float], tuple[float, float, float]]

L = Landmark


class Midline(StrEnum):
    """Which midpoint the facial midline passes through (always perpendicular to the pupils)."""

    PUPILS = "pupils"
    CANTHI = "medial canthi"


class Measure(StrEnum):
    BROW_HEIGHT = "brow height"
    PALPEBRAL_FISSURE = "palpebral fissure height"
    COMMISSURE_HEIGHT = "commissure height"
    UPPER_LIP_SHOW = "upper-lip show"
    SMILE_EXCURSION = "smile excursion"


# What one photo can show; smile excursion needs two photos.
PHOTO_MEASURES = (
    Measure.BROW_HEIGHT,
    Measure.PALPEBRAL_FISSURE,
    Measure.COMMISSURE_HEIGHT,
    Measure.UPPER_LIP_SHOW,
)

_NEEDS: Mapping[Measure, tuple[Landmark, ...]] = {
    Measure.BROW_HEIGHT: (L.PUPIL_L, L.PUPIL_R, L.BROW_PEAK_L, L.BROW_PEAK_R),
    Measure.PALPEBRAL_FISSURE: (
        L.PUPIL_L,
        L.PUPIL_R,
        L.UPPER_LID_L,
        L.LOWER_LID_L,
        L.UPPER_LID_R,
        L.LOWER_LID_R,
    ),
    Measure.COMMISSURE_HEIGHT: (L.PUPIL_L, L.PUPIL_R, L.COMMISSURE_L, L.COMMISSURE_R),
    Measure.UPPER_LIP_SHOW: (
        L.PUPIL_L,
        L.PUPIL_R,
        L.CUPID_PEAK_L,
        L.CUPID_PEAK_R,
        L.COMMISSURE_L,
        L.COMMISSURE_R,
    ),
    Measure.SMILE_EXCURSION: (L.PUPIL_L, L.PUPIL_R, L.COMMISSURE_L, L.COMMISSURE_R),
}
_MIDLINE_NEEDS = (L.PUPIL_L, L.PUPIL_R, L.LOWER_LIP_MID, L.CHIN)
# Landmarks that lie below the eyes on any face: used to refuse swapped sides.
_BELOW_EYES = (
    L.ALA_L,
    L.ALA_R,
    L.COMMISSURE_L,
    L.COMMISSURE_R,
    L.CUPID_PEAK_L,
    L.CUPID_PEAK_R,
    L.LOWER_LIP_MID,
    L.CHIN,
)


@dataclass(frozen=True)
class Scale:
    """Millimetres per image pixel of one photo."""

    mm_per_px: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mm_per_px) and self.mm_per_px > 0):
            raise ValidationError(
                f"the scale must be a positive number of mm per pixel, not {self.mm_per_px}", "scale"
            )

    @classmethod
    def from_iris(cls, diameter_px: float, diameter_mm: float = IRIS_DIAMETER_MM) -> Scale:
        """The scale from the horizontal iris diameter measured on the photo, in pixels."""
        if not (math.isfinite(diameter_px) and diameter_px > 0):
            raise ValidationError(
                f"the iris diameter must be a positive number of pixels, not {diameter_px}", "iris"
            )
        if not (math.isfinite(diameter_mm) and diameter_mm > 0):
            raise ValidationError(
                f"the iris diameter must be a positive number of mm, not {diameter_mm}", "iris"
            )
        return cls(diameter_mm / diameter_px)

    def mm(self, pixels: float) -> float:
        return pixels * self.mm_per_px


@dataclass(frozen=True)
class FaceFrame:
    """The face's own frame on one photo (see the module's docstring): `lateral` is positive
    toward the patient's left, `height` positive up, both in image pixels."""

    origin: Point
    across: Point  # unit vector along the pupils, toward the patient's left
    up: Point  # unit vector perpendicular to it, toward the forehead
    midline_offset: float = 0.0  # lateral position of the facial midline, pixels

    @classmethod
    def of(cls, landmarks: Landmarks, midline: Midline = Midline.PUPILS) -> FaceFrame:
        landmarks.require((L.PUPIL_L, L.PUPIL_R), "the face's frame")
        (lx, ly), (rx, ry) = landmarks[L.PUPIL_L], landmarks[L.PUPIL_R]
        span = math.hypot(lx - rx, ly - ry)
        if span == 0:
            raise ValidationError("the two pupils are placed on the same spot", L.PUPIL_L.value)
        across = ((lx - rx) / span, (ly - ry) / span)
        # Image y runs down: turning `across` a quarter turn this way points to the forehead
        # when the patient's left is on the image's right.
        up = (across[1], -across[0])
        frame = cls(((lx + rx) / 2, (ly + ry) / 2), across, up)
        below = [key for key in _BELOW_EYES if key in landmarks]
        if below and sum(frame.height(landmarks[key]) for key in below) > 0:
            raise ValidationError(
                "the mouth and chin come out above the eyes: the patient's left and right look "
                "swapped (in a frontal photo the patient's left is on the image's right; a "
                "mirrored selfie photo must be flipped first)",
                L.PUPIL_L.value,
            )
        if midline is Midline.CANTHI:
            landmarks.require((L.MEDIAL_CANTHUS_L, L.MEDIAL_CANTHUS_R), "a midline through the medial canthi")
            offset = (
                frame.lateral(landmarks[L.MEDIAL_CANTHUS_L]) + frame.lateral(landmarks[L.MEDIAL_CANTHUS_R])
            ) / 2
            frame = cls(frame.origin, across, up, offset)
        return frame

    def lateral(self, point: Point) -> float:
        return (point[0] - self.origin[0]) * self.across[0] + (point[1] - self.origin[1]) * self.across[1]

    def height(self, point: Point) -> float:
        return (point[0] - self.origin[0]) * self.up[0] + (point[1] - self.origin[1]) * self.up[1]

    def from_midline(self, point: Point) -> float:
        """Signed lateral distance from the facial midline, positive toward the patient's left."""
        return self.lateral(point) - self.midline_offset


@dataclass(frozen=True)
class Paired:
    """One measure on both sides, in millimetres."""

    measure: Measure
    left: float
    right: float

    @property
    def difference(self) -> float:
        """Left − right."""
        return self.left - self.right

    @property
    def greater(self) -> Side | None:
        """The side with the greater value (for a height: the higher side), or None when the
        sides are even (within EVEN_WITHIN_MM)."""
        if abs(self.difference) < EVEN_WITHIN_MM:
            return None
        return Side.LEFT if self.difference > 0 else Side.RIGHT


@dataclass(frozen=True)
class MidlineDeviation:
    """Signed distances from the facial midline in mm, positive toward the patient's left."""

    lower_lip: float
    chin: float

    @staticmethod
    def side(deviation: float) -> Side | None:
        if abs(deviation) < EVEN_WITHIN_MM:
            return None
        return Side.LEFT if deviation > 0 else Side.RIGHT


@dataclass(frozen=True)
class PhotoMeasurements:
    """The measures of one photo (one pose, one visit)."""

    paired: Mapping[Measure, Paired] = field(default_factory=dict)
    midline: MidlineDeviation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "paired", MappingProxyType(dict(self.paired)))


def available(landmarks: Landmarks) -> frozenset[Measure]:
    """The one-photo measures whose landmarks are all placed."""
    return frozenset(m for m in PHOTO_MEASURES if all(key in landmarks for key in _NEEDS[m]))


def measure_photo(
    landmarks: Landmarks,
    scale: Scale,
    measures: Iterable[Measure] = PHOTO_MEASURES,
    *,
    midline: Midline | None = Midline.PUPILS,
) -> PhotoMeasurements:
    """The chosen one-photo measures and (unless `midline` is None) the midline deviation.
    Refuses, naming it, a landmark any of them needs that is not placed."""
    frame = FaceFrame.of(landmarks, midline or Midline.PUPILS)
    paired = {m: _paired(m, landmarks, frame, scale) for m in measures}
    deviation = None
    if midline is not None:
        landmarks.require(_MIDLINE_NEEDS, "the midline deviation")
        deviation = MidlineDeviation(
            scale.mm(frame.from_midline(landmarks[L.LOWER_LIP_MID])),
            scale.mm(frame.from_midline(landmarks[L.CHIN])),
        )
    return PhotoMeasurements(paired, deviation)


def measure(kind: Measure, landmarks: Landmarks, scale: Scale) -> Paired:
    """One one-photo paired measure (not smile excursion: see `smile_excursion`)."""
    return _paired(kind, landmarks, FaceFrame.of(landmarks), scale)


def _paired(kind: Measure, landmarks: Landmarks, frame: FaceFrame, scale: Scale) -> Paired:
    if kind is Measure.SMILE_EXCURSION:
        raise ValidationError("smile excursion needs a photo at rest and one smiling", "measure")
    landmarks.require(_NEEDS[kind], f"the {kind}")

    def height(key: Landmark) -> float:
        return frame.height(landmarks[key])

    if kind is Measure.BROW_HEIGHT:
        left, right = height(L.BROW_PEAK_L), height(L.BROW_PEAK_R)
    elif kind is Measure.PALPEBRAL_FISSURE:
        left = height(L.UPPER_LID_L) - height(L.LOWER_LID_L)
        right = height(L.UPPER_LID_R) - height(L.LOWER_LID_R)
    elif kind is Measure.COMMISSURE_HEIGHT:
        left, right = height(L.COMMISSURE_L), height(L.COMMISSURE_R)
    else:  # upper-lip show
        mouth = (height(L.COMMISSURE_L) + height(L.COMMISSURE_R)) / 2
        left, right = height(L.CUPID_PEAK_L) - mouth, height(L.CUPID_PEAK_R) - mouth
    return Paired(kind, scale.mm(left), scale.mm(right))


def smile_excursion(rest: Landmarks, rest_scale: Scale, smile: Landmarks, smile_scale: Scale) -> Paired:
    """How far each commissure moves from rest to smile, in mm: the distance between its two
    positions, each taken in its own photo's face frame and scale."""
    need = _NEEDS[Measure.SMILE_EXCURSION]
    rest.require(need, "the smile excursion (photo at rest)")
    smile.require(need, "the smile excursion (smiling photo)")
    rest_frame, smile_frame = FaceFrame.of(rest), FaceFrame.of(smile)

    def moved(key: Landmark) -> float:
        before, after = rest[key], smile[key]
        return math.hypot(
            smile_scale.mm(smile_frame.lateral(after)) - rest_scale.mm(rest_frame.lateral(before)),
            smile_scale.mm(smile_frame.height(after)) - rest_scale.mm(rest_frame.height(before)),
        )

    return Paired(Measure.SMILE_EXCURSION, moved(L.COMMISSURE_L), moved(L.COMMISSURE_R))


@dataclass(frozen=True)
class PairedChange:
    """A paired measure now minus the same measure at the previous visit, in mm."""

    measure: Measure
    left: float
    right: float
    difference: float


@dataclass(frozen=True)
class Change:
    """The change of every measure taken at both visits (current − previous)."""

    paired: Mapping[Measure, PairedChange]
    midline: MidlineDeviation | None


def change_of(previous: Paired, current: Paired) -> PairedChange:
    if previous.measure is not current.measure:
        raise ValidationError(f"{previous.measure} cannot be compared with {current.measure}", "measure")
    return PairedChange(
        current.measure,
        current.left - previous.left,
        current.right - previous.right,
        current.difference - previous.difference,
    )


def change(previous: PhotoMeasurements, current: PhotoMeasurements) -> Change:
    """Each measure present at both visits, current − previous; the others are left out."""
    paired = {
        m: change_of(previous.paired[m], current.paired[m]) for m in current.paired if m in previous.paired
    }
    midline = None
    if previous.midline is not None and current.midline is not None:
        midline = MidlineDeviation(
            current.midline.lower_lip - previous.midline.lower_lip,
            current.midline.chin - previous.midline.chin,
        )
    return Change(MappingProxyType(paired), midline)


def similarity(source: tuple[Point, Point], target: tuple[Point, Point]) -> Affine:
    """The similarity transform (uniform scale, rotation, translation; no reflection) that
    maps source[0] onto target[0] and source[1] onto target[1]."""
    s0, s1 = complex(*source[0]), complex(*source[1])
    t0, t1 = complex(*target[0]), complex(*target[1])
    if s0 == s1 or t0 == t1:
        raise ValidationError("two distinct points are needed on each photo to align them", "alignment")
    a = (t1 - t0) / (s1 - s0)
    b = t0 - a * s0
    return ((a.real, -a.imag, b.real), (a.imag, a.real, b.imag))


def align_on_eyes(moving: Landmarks, fixed: Landmarks) -> Affine:
    """The transform that carries the `moving` photo's pixels onto the `fixed` photo's so that
    the pupils coincide (the Compare view draws the moving photo through it)."""
    for landmarks, which in ((moving, "the photo to align"), (fixed, "the reference photo")):
        landmarks.require((L.PUPIL_L, L.PUPIL_R), f"aligning on the eyes ({which})")
    return similarity((moving[L.PUPIL_L], moving[L.PUPIL_R]), (fixed[L.PUPIL_L], fixed[L.PUPIL_R]))


def apply(affine: Affine, point: Point) -> Point:
    (a, b, c), (d, e, f) = affine
    x, y = point
    return (a * x + b * y + c, d * x + e * y + f)


def invert(affine: Affine) -> Affine:
    """The inverse transform (image libraries draw through output → input matrices)."""
    (a, b, c), (d, e, f) = affine
    det = a * e - b * d
    if det == 0:
        raise ValidationError("the alignment is degenerate and cannot be inverted", "alignment")
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return ((ia, ib, -(ia * c + ib * f)), (id_, ie, -(id_ * c + ie * f)))
