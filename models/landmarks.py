"""Landmarks placed on a frontal face photo, the input of the asymmetry measures.

Sides are the PATIENT's. In a frontal photo the patient faces the camera, so the patient's
left is on the image's RIGHT (a larger x) and the patient's right on the image's left. A key
ending in `_l` is the patient's left, `_r` the patient's right. A selfie-mirrored photo swaps
this; `mirrored()` gives the landmarks of the horizontally flipped image.

Coordinates are image pixels, x to the right and y DOWN from the top-left corner of the
image, continuous: the top-left pixel covers 0..1 in x and in y, so a point may lie anywhere
from 0 to the width (height) inclusive. Points are refused when they are not finite numbers
or lie outside the image.

The vocabulary, all on the patient's face:
- pupil_l/r: the centre of the pupil.
- medial_canthus_l/r, lateral_canthus_l/r: the inner and outer corner of the eye opening.
- upper_lid_l/r, lower_lid_l/r: the upper and the lower lid margin on the vertical through
  the pupil (their vertical gap is the palpebral fissure height).
- brow_peak_l/r: the highest point of the brow; brow_tail_l/r: its lateral end.
- ala_l/r: the most lateral point of the nasal ala.
- commissure_l/r: the corner of the mouth, where the upper and lower vermilion meet.
- cupid_peak_l/r: the peak of Cupid's bow, where the vermilion border meets the philtral
  column.
- lower_lip_mid: the lower vermilion border at the midline.
- chin: soft-tissue menton, the lowest point of the chin.

The iris diameter in pixels, the scale of the photo, is given separately (see
models.asymmetry.Scale); it is not a point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeGuard

from models.errors import ValidationError

Point = tuple[float, float]


class Landmark(StrEnum):
    """A landmark key; `_l` / `_r` are the patient's left / right."""

    PUPIL_L = "pupil_l"
    PUPIL_R = "pupil_r"
    MEDIAL_CANTHUS_L = "medial_canthus_l"
    MEDIAL_CANTHUS_R = "medial_canthus_r"
    LATERAL_CANTHUS_L = "lateral_canthus_l"
    LATERAL_CANTHUS_R = "lateral_canthus_r"
    UPPER_LID_L = "upper_lid_l"
    UPPER_LID_R = "upper_lid_r"
    LOWER_LID_L = "lower_lid_l"
    LOWER_LID_R = "lower_lid_r"
    BROW_PEAK_L = "brow_peak_l"
    BROW_PEAK_R = "brow_peak_r"
    BROW_TAIL_L = "brow_tail_l"
    BROW_TAIL_R = "brow_tail_r"
    ALA_L = "ala_l"
    ALA_R = "ala_r"
    COMMISSURE_L = "commissure_l"
    COMMISSURE_R = "commissure_r"
    CUPID_PEAK_L = "cupid_peak_l"
    CUPID_PEAK_R = "cupid_peak_r"
    LOWER_LIP_MID = "lower_lip_mid"
    CHIN = "chin"

    @property
    def spoken(self) -> str:
        """The landmark as a clinician reads it, e.g. "the patient's left brow peak"."""
        return _SPOKEN[self]

    @property
    def other_side(self) -> Landmark:
        """The same landmark on the patient's other side; a midline landmark is itself."""
        if self.value.endswith("_l"):
            return Landmark(self.value[:-2] + "_r")
        if self.value.endswith("_r"):
            return Landmark(self.value[:-2] + "_l")
        return self


def _spoken(key: Landmark) -> str:
    names = {
        "pupil": "pupil",
        "medial_canthus": "medial canthus",
        "lateral_canthus": "lateral canthus",
        "upper_lid": "upper lid margin",
        "lower_lid": "lower lid margin",
        "brow_peak": "brow peak",
        "brow_tail": "brow tail",
        "ala": "nasal ala",
        "commissure": "oral commissure",
        "cupid_peak": "Cupid's bow peak",
    }
    value = key.value
    if value == "lower_lip_mid":
        return "the lower-lip midpoint"
    if value == "chin":
        return "the chin"
    side = "left" if value.endswith("_l") else "right"
    return f"the patient's {side} {names[value[:-2]]}"


_SPOKEN = {key: _spoken(key) for key in Landmark}


@dataclass(frozen=True)
class Landmarks(Mapping[Landmark, Point]):
    """The landmarks placed on one photo of `width` × `height` pixels: a read-only mapping of
    key to (x, y). Build it with `Landmarks.of(...)`, which checks every point."""

    width: float
    height: float
    _points: Mapping[Landmark, Point] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not (_finite(self.width) and _finite(self.height)) or self.width <= 0 or self.height <= 0:
            raise ValidationError(
                f"the photo's size must be positive, not {self.width} × {self.height} pixels", "size"
            )
        checked: dict[Landmark, Point] = {}
        for raw_key, point in self._points.items():
            key = _key(raw_key)
            x, y = _point(key, point)
            if not (0 <= x <= self.width and 0 <= y <= self.height):
                raise ValidationError(
                    f"{key.spoken} ({key}) is at ({x:g}, {y:g}), outside the "
                    f"{self.width:g} × {self.height:g} photo",
                    key.value,
                )
            checked[key] = (x, y)
        object.__setattr__(self, "_points", MappingProxyType(checked))

    @classmethod
    def of(cls, points: Mapping[str, Point], width: float, height: float) -> Landmarks:
        """Landmarks from plain keys ("pupil_l") or `Landmark`s. Refuses an unknown key, a
        point that is not two finite numbers, and a point outside the photo."""
        return cls(width, height, dict(points))  # type: ignore[arg-type]  # keys checked in __post_init__

    def __getitem__(self, key: Landmark) -> Point:
        return self._points[key]

    def __iter__(self) -> Iterator[Landmark]:
        return iter(self._points)

    def __len__(self) -> int:
        return len(self._points)

    def require(self, keys: Iterable[Landmark], purpose: str) -> None:
        """Refuse, naming every missing landmark, when any of `keys` is not placed."""
        missing = [key for key in keys if key not in self._points]
        if missing:
            names = ", ".join(f"{key.spoken} ({key})" for key in missing)
            raise ValidationError(f"{purpose} needs {names}, not placed on this photo", missing[0].value)

    def mirrored(self) -> Landmarks:
        """The landmarks of this photo flipped left to right: x becomes width − x, and each
        key changes side, because the flipped image's patient-left is the original's right."""
        return Landmarks(
            self.width,
            self.height,
            {key.other_side: (self.width - x, y) for key, (x, y) in self._points.items()},
        )


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _key(raw: object) -> Landmark:
    try:
        return Landmark(str(raw))
    except ValueError:
        raise ValidationError(f"{raw!r} is not a face landmark", "landmark") from None


def _point(key: Landmark, point: object) -> Point:
    if not (isinstance(point, tuple | list) and len(point) == 2):
        raise ValidationError(f"{key.spoken} ({key}) must be an (x, y) pair, not {point!r}", key.value)
    x: object = point[0]
    y: object = point[1]
    if not (_finite(x) and _finite(y)):
        raise ValidationError(f"{key.spoken} ({key}) must be finite numbers, not ({x}, {y})", key.value)
    return float(x), float(y)
