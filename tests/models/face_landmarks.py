"""A synthetic symmetric face for the asymmetry tests, and ways to move, turn and flip it."""

from __future__ import annotations

import math

from models.landmarks import Landmark, Landmarks, Point

L = Landmark

# A face drawn upright: (lateral toward the patient's left, height up) in pixels from the
# midpoint of the pupils, for the patient's left side; the right side is its mirror image.
PAIRED_SHAPE: dict[str, Point] = {
    "pupil": (64.0, 0.0),
    "medial_canthus": (30.0, -2.0),
    "lateral_canthus": (96.0, 2.0),
    "upper_lid": (64.0, 20.0),
    "lower_lid": (64.0, -22.0),
    "brow_peak": (80.0, 50.0),
    "brow_tail": (120.0, 36.0),
    "ala": (34.0, -130.0),
    "commissure": (50.0, -200.0),
    "cupid_peak": (14.0, -176.0),
}
MIDLINE_SHAPE: dict[str, Point] = {"lower_lip_mid": (0.0, -226.0), "chin": (0.0, -320.0)}
IRIS_PX = 46.8  # so 0.25 mm per pixel
SIZE = 4000.0
CENTRE = (SIZE / 2, SIZE / 2)


def face_points() -> dict[Landmark, Point]:
    """The symmetric face in its own frame: (lateral, height)."""
    points: dict[Landmark, Point] = {}
    for name, (lateral, height) in PAIRED_SHAPE.items():
        points[Landmark(name + "_l")] = (lateral, height)
        points[Landmark(name + "_r")] = (-lateral, height)
    for name, point in MIDLINE_SHAPE.items():
        points[Landmark(name)] = point
    return points


def on_photo(
    points: dict[Landmark, Point],
    angle: float = 0.0,
    scale: float = 1.0,
    shift: Point = (0.0, 0.0),
    size: float = SIZE,
) -> Landmarks:
    """The face-frame points drawn on a photo: the patient's left toward the image's right,
    up toward the image's top, turned by `angle` radians (the head's tilt), magnified by
    `scale` and moved by `shift` from the photo's centre."""
    cos, sin = math.cos(angle), math.sin(angle)
    placed: dict[str, Point] = {}
    for key, (lateral, height) in points.items():
        x, y = lateral * scale, -height * scale  # image y runs down
        placed[key.value] = (
            size / 2 + shift[0] + cos * x - sin * y,
            size / 2 + shift[1] + sin * x + cos * y,
        )
    return Landmarks.of(placed, size, size)


def moved(
    points: dict[Landmark, Point], key: Landmark, lateral: float = 0.0, up: float = 0.0
) -> dict[Landmark, Point]:
    out = dict(points)
    x, y = out[key]
    out[key] = (x + lateral, y + up)
    return out
