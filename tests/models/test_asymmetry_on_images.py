"""The measures proved on images: a face drawn with Pillow, its landmarks read back from the
pixels, then one side warped by a known number of pixels, the whole photo tilted, and the
photo mirrored. The measured difference must match the known one within 0.5 mm, and the
mirror must give the same magnitude on the other side.

No face detector is involved (the app has none): `read_landmarks` below finds each drawn
feature by its colour and takes the landmark where the clinical definition puts it (the
highest brow pixel in the face's frame, the outermost lip pixel, ...). What this proves is
the chain photo → landmarks → face frame → millimetres, under warps, tilt and mirroring.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence

import pytest
from PIL import Image, ImageDraw, ImageOps

from models.asymmetry import FaceFrame, Measure, Scale, measure_photo
from models.landmarks import Landmark, Landmarks, Point

L = Landmark
WIDTH, HEIGHT = 800, 1000
BACKGROUND = (200, 200, 200)
SKIN = (230, 190, 160)
BROW = (70, 40, 20)
SCLERA = (255, 255, 255)
IRIS = (60, 110, 160)
PUPIL = (0, 0, 0)
NOSTRIL = (90, 50, 50)
LIP = (180, 40, 60)
EYE = (SCLERA, IRIS, PUPIL)
TOLERANCE_MM = 0.5


def draw_face() -> Image.Image:
    """A symmetric face about x = 400: the patient's left is on the image's right."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 100, 650, 950), fill=SKIN)
    for side in (1, -1):  # 1: the image's right, the patient's left

        def at(x: float, y: float, side: int = side) -> tuple[float, float]:
            return (400 + side * x, y)

        draw.line([at(30, 332), at(120, 300), at(180, 325)], fill=BROW, width=10, joint="curve")
        cx = 400 + side * 65
        draw.ellipse((cx - 48, 420 - 28, cx + 48, 420 + 28), fill=SCLERA)
        draw.ellipse((cx - 24, 420 - 24, cx + 24, 420 + 24), fill=IRIS)
        draw.ellipse((cx - 8, 420 - 8, cx + 8, 420 + 8), fill=PUPIL)
        nx = 400 + side * 24
        draw.ellipse((nx - 10, 632, nx + 10, 648), fill=NOSTRIL)
    draw.polygon([(330, 740), (385, 715), (400, 724), (415, 715), (470, 740), (400, 776)], fill=LIP)
    # Pillow's strokes are not mirror-exact: the patient's right half is the left half's mirror.
    image.paste(ImageOps.mirror(image.crop((WIDTH // 2, 0, WIDTH, HEIGHT))), (0, 0))
    return image


def shift_region(
    image: Image.Image, box: tuple[int, int, int, int], dx: int, dy: int, fill=SKIN
) -> Image.Image:
    """Move the pixels inside `box` by (dx, dy), filling what they leave with `fill`: the
    warp of one part of the face by a known number of pixels."""
    out = image.copy()
    region = image.crop(box)
    ImageDraw.Draw(out).rectangle((box[0], box[1], box[2] - 1, box[3] - 1), fill=fill)
    out.paste(region, (box[0] + dx, box[1] + dy))
    return out


def read_landmarks(image: Image.Image) -> tuple[Landmarks, float]:
    """The landmarks of a drawn face and its horizontal iris diameter in pixels."""
    width = image.width
    by_colour: dict[tuple[int, int, int], list[Point]] = defaultdict(list)
    data = image.convert("RGB").tobytes()
    for index in range(len(data) // 3):
        colour = (data[3 * index], data[3 * index + 1], data[3 * index + 2])
        if colour != BACKGROUND:
            by_colour[colour].append((index % width + 0.5, index // width + 0.5))
    pupils = by_colour[PUPIL]
    middle = sum(x for x, _ in pupils) / len(pupils)
    found: dict[str, Point] = {
        "pupil_l": _centroid([p for p in pupils if p[0] > middle]),
        "pupil_r": _centroid([p for p in pupils if p[0] <= middle]),
    }
    frame = FaceFrame.of(Landmarks.of(found, image.width, image.height))
    lateral, height = frame.lateral, frame.height

    def extreme(points: Sequence[Point], key: Callable[[Point], float], highest: bool = True) -> Point:
        """The centroid of the pixels within half a pixel of the largest (smallest) key."""
        values = [key(p) for p in points]
        best = max(values) if highest else min(values)
        return _centroid([p for p, v in zip(points, values, strict=True) if abs(v - best) <= 0.5])

    eye = [p for colour in EYE for p in by_colour[colour]]
    iris = by_colour[IRIS] + pupils
    diameters = []
    for side, sign in (("l", 1), ("r", -1)):

        def on_side(points: Sequence[Point], sign: int = sign) -> list[Point]:
            return [p for p in points if sign * lateral(p) > 0]

        pupil = found[f"pupil_{side}"]
        through_pupil = [p for p in on_side(eye) if abs(lateral(p) - lateral(pupil)) < 1]
        found[f"upper_lid_{side}"] = extreme(through_pupil, height)
        found[f"lower_lid_{side}"] = extreme(through_pupil, height, highest=False)
        found[f"medial_canthus_{side}"] = extreme(
            on_side(eye), lambda p, s=sign: s * lateral(p), highest=False
        )
        found[f"lateral_canthus_{side}"] = extreme(on_side(eye), lambda p, s=sign: s * lateral(p))
        brow = on_side(by_colour[BROW])
        found[f"brow_peak_{side}"] = extreme(brow, height)
        found[f"brow_tail_{side}"] = extreme(brow, lambda p, s=sign: s * lateral(p))
        found[f"ala_{side}"] = extreme(on_side(by_colour[NOSTRIL]), lambda p, s=sign: s * lateral(p))
        row = [lateral(p) for p in on_side(iris) if abs(height(p) - height(pupil)) < 0.5]
        diameters.append(max(row) - min(row) + 1)
    lip = by_colour[LIP]
    found["commissure_l"] = extreme(lip, lateral)
    found["commissure_r"] = extreme(lip, lateral, highest=False)
    mouth = (lateral(found["commissure_l"]) + lateral(found["commissure_r"])) / 2
    found["cupid_peak_l"] = extreme([p for p in lip if lateral(p) > mouth], height)
    found["cupid_peak_r"] = extreme([p for p in lip if lateral(p) < mouth], height)
    found["lower_lip_mid"] = extreme([p for p in lip if abs(lateral(p) - mouth) < 1], height, highest=False)
    found["chin"] = extreme(by_colour[SKIN], height, highest=False)
    return Landmarks.of(found, image.width, image.height), sum(diameters) / 2


def _centroid(points: Sequence[Point]) -> Point:
    assert points, "a drawn feature is missing from the image"
    return (sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points))


def measured(image: Image.Image):
    landmarks, iris_px = read_landmarks(image)
    scale = Scale.from_iris(iris_px)
    return measure_photo(landmarks, scale), scale


def tilted(image: Image.Image, degrees: float) -> Image.Image:
    """The photo turned about its centre, as a tilted head; no blending, so colours stay."""
    return image.rotate(degrees, resample=Image.Resampling.NEAREST, fillcolor=BACKGROUND)


@pytest.fixture(scope="module")
def face() -> Image.Image:
    return draw_face()


def test_the_drawn_face_reads_as_symmetric_and_at_the_drawn_scale(face):
    result, scale = measured(face)
    assert scale.mm_per_px == pytest.approx(11.7 / 49)  # the drawn iris: 49 pixels, both edges inclusive
    for paired in result.paired.values():
        assert abs(paired.difference) < 0.05
    assert result.midline is not None
    assert abs(result.midline.chin) < 0.05 and abs(result.midline.lower_lip) < 0.05
    # The brow's top is drawn at y = 295 (the stroke's vertex at 300 less half its 10 px
    # width), the pupils' centre at y = 420.5: 125 px apart, read to within 2 px.
    assert result.paired[Measure.BROW_HEIGHT].left == pytest.approx(scale.mm(125), abs=TOLERANCE_MM)


WARPS = {
    # The patient's left brow (on the image's right) moved up.
    "left brow up": ((405, 280, 640, 345), 0, -1, Measure.BROW_HEIGHT, 1),
    # The patient's right mouth corner (on the image's left) pulled down.
    "right commissure down": ((322, 700, 365, 790), 0, 1, Measure.COMMISSURE_HEIGHT, 1),
}


@pytest.mark.parametrize("pixels", [3, 8, 15])
@pytest.mark.parametrize("warp", sorted(WARPS))
@pytest.mark.parametrize("degrees", [0, 9, -14])
def test_a_side_warped_by_known_pixels_measures_that_many_millimetres(face, warp, pixels, degrees):
    box, dx, dy, kind, left_gains = WARPS[warp]
    warped = tilted(shift_region(face, box, dx * pixels, dy * pixels), degrees)
    result, scale = measured(warped)
    expected = left_gains * scale.mm(pixels)
    assert result.paired[kind].difference == pytest.approx(expected, abs=TOLERANCE_MM)
    assert result.paired[kind].greater is not None and result.paired[kind].greater.value == "left"
    untouched = Measure.COMMISSURE_HEIGHT if kind is Measure.BROW_HEIGHT else Measure.BROW_HEIGHT
    assert abs(result.paired[untouched].difference) < TOLERANCE_MM

    mirror, mirror_scale = measured(ImageOps.mirror(warped))
    assert mirror_scale.mm_per_px == pytest.approx(scale.mm_per_px)
    assert mirror.paired[kind].difference == pytest.approx(-expected, abs=TOLERANCE_MM)
    assert mirror.paired[kind].difference == pytest.approx(-result.paired[kind].difference, abs=0.05)
    assert mirror.paired[kind].greater is not None and mirror.paired[kind].greater.value == "right"


@pytest.mark.parametrize("pixels", [4, 12])
@pytest.mark.parametrize("degrees", [0, 11])
def test_a_chin_moved_toward_the_patients_left_deviates_by_that_much(face, pixels, degrees):
    # The bottom of the face moved toward the image's right: the patient's left.
    warped = tilted(shift_region(face, (0, 870, WIDTH, HEIGHT), pixels, 0, fill=BACKGROUND), degrees)
    result, scale = measured(warped)
    assert result.midline is not None
    assert result.midline.chin == pytest.approx(scale.mm(pixels), abs=TOLERANCE_MM)
    assert abs(result.midline.lower_lip) < TOLERANCE_MM
    mirror, _ = measured(ImageOps.mirror(warped))
    assert mirror.midline is not None
    assert mirror.midline.chin == pytest.approx(-result.midline.chin, abs=0.05)


def test_the_mirrored_photo_reads_as_the_mirrored_landmarks(face):
    warped = shift_region(face, (405, 280, 640, 345), 0, -10)
    landmarks, _ = read_landmarks(warped)
    from_mirror, _ = read_landmarks(ImageOps.mirror(warped))
    expected = landmarks.mirrored()
    for key in Landmark:
        assert math.dist(from_mirror[key], expected[key]) < 0.5, key
