"""The measurement on a real, public-domain photograph: scikit-image's astronaut portrait
(Eileen Collins, NASA). The pupils and the iris are placed by hand; each brow is found on
the image itself, as the darkest band above the eye. One brow is then moved up on the
image by a known number of pixels: the measured difference must follow within 0.5 mm, and
the mirrored photo must give the same magnitude on the other side."""

from __future__ import annotations

import pytest
from PIL import Image, ImageOps

from models.asymmetry import Measure, Scale, Side, measure
from models.landmarks import Landmarks

skimage_data = pytest.importorskip("skimage.data")

# The face, enlarged 4× (bicubic): 640 × 800 pixels, about 30 pixels across the iris.
CROP, SIZE = (140, 40, 300, 240), (640, 800)
# Placed by hand on the enlarged face; the patient's right eye is on the image's left.
PUPIL_R, PUPIL_L = (251.7, 245.0), (427.7, 253.3)
BROW_COLUMN = {"r": 263, "l": 440}  # above each eye, where the brow peaks
IRIS_PX = 30.0
LEFT_BROW_BOX = (400, 185, 490, 232)  # the patient's left brow, moved up on the image


def face() -> Image.Image:
    return Image.fromarray(skimage_data.astronaut()).crop(CROP).resize(SIZE, Image.Resampling.BICUBIC)


def brow_row(image: Image.Image, column: int, pupil_y: float) -> int:
    """The darkest row of a narrow band of columns, between 25 and 58 pixels above the pupil:
    the brow, on this face (the hair is higher, the lid lower)."""
    grey = image.convert("L")
    rows = range(int(pupil_y) - 58, int(pupil_y) - 25)
    darkness = {y: sum(grey.getpixel((x, y)) for x in range(column - 8, column + 9)) for y in rows}
    return min(darkness, key=darkness.__getitem__)


def landmarks(image: Image.Image, pupil_r, pupil_l, columns) -> Landmarks:
    points = {
        "pupil_r": pupil_r,
        "pupil_l": pupil_l,
        "brow_peak_r": (columns["r"], brow_row(image, columns["r"], pupil_r[1])),
        "brow_peak_l": (columns["l"], brow_row(image, columns["l"], pupil_l[1])),
    }
    return Landmarks.of(points, *image.size)


def mirrored_landmarks(image: Image.Image) -> Landmarks:
    """The flipped photo: the patient's left eye is now on the image's left."""
    width = image.width
    return landmarks(
        image,
        (width - PUPIL_L[0], PUPIL_L[1]),
        (width - PUPIL_R[0], PUPIL_R[1]),
        {"r": width - BROW_COLUMN["l"], "l": width - BROW_COLUMN["r"]},
    )


@pytest.mark.parametrize("lift", [3, 6, 10])
def test_a_brow_moved_up_on_the_photo_is_measured_within_half_a_millimetre(lift):
    scale = Scale.from_iris(IRIS_PX)
    photo = face()
    before = measure(Measure.BROW_HEIGHT, landmarks(photo, PUPIL_R, PUPIL_L, BROW_COLUMN), scale)
    assert abs(before.difference) < 0.5  # her brows sit level

    warped = photo.copy()
    warped.paste(photo.crop(LEFT_BROW_BOX), (LEFT_BROW_BOX[0], LEFT_BROW_BOX[1] - lift))
    after = measure(Measure.BROW_HEIGHT, landmarks(warped, PUPIL_R, PUPIL_L, BROW_COLUMN), scale)
    expected_mm = lift * 11.7 / IRIS_PX
    assert after.difference - before.difference == pytest.approx(expected_mm, abs=0.5)
    assert after.greater is Side.LEFT

    flipped = measure(Measure.BROW_HEIGHT, mirrored_landmarks(ImageOps.mirror(warped)), scale)
    assert flipped.difference == pytest.approx(-after.difference, abs=0.5)
    assert flipped.greater is Side.RIGHT
