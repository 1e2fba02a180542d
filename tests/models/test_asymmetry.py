"""Asymmetry measures: zero on a symmetric face, k pixels of asymmetry read as k × scale mm
whatever the head's tilt, distance and place on the photo, and the opposite side on a mirror."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.asymmetry import (
    EVEN_WITHIN_MM,
    IRIS_DIAMETER_MM,
    PHOTO_MEASURES,
    Measure,
    Midline,
    Scale,
    Side,
    align_on_eyes,
    apply,
    available,
    change,
    invert,
    measure,
    measure_photo,
    similarity,
    smile_excursion,
)
from models.errors import ValidationError
from models.landmarks import Landmark, Landmarks
from tests.models.face_landmarks import IRIS_PX, face_points, moved, on_photo

L = Landmark
MM_PER_PX = IRIS_DIAMETER_MM / IRIS_PX
EXACT = 1e-9

# A head tilted up to a half turn either way, 0.5× to 2× as near, anywhere near the centre.
angles = st.floats(-math.pi, math.pi)
scales = st.floats(0.5, 2.0)
shifts = st.tuples(st.floats(-800, 800), st.floats(-800, 800))
pixels = st.floats(-40, 40)


def photo_scale(scale: float) -> Scale:
    return Scale.from_iris(IRIS_PX * scale)


def test_scale_from_the_iris_or_from_the_clinic():
    assert Scale.from_iris(117).mm_per_px == pytest.approx(0.1)
    assert Scale.from_iris(100, diameter_mm=12).mm_per_px == pytest.approx(0.12)
    assert Scale(0.2).mm(15) == pytest.approx(3.0)
    for bad in (0, -3, math.nan, math.inf):
        with pytest.raises(ValidationError):
            Scale.from_iris(bad)
        with pytest.raises(ValidationError):
            Scale(bad)


def test_a_symmetric_face_measures_even():
    result = measure_photo(on_photo(face_points()), photo_scale(1))
    assert set(result.paired) == set(PHOTO_MEASURES)
    for paired in result.paired.values():
        assert paired.difference == pytest.approx(0, abs=EXACT)
        assert paired.greater is None
    assert result.midline is not None
    assert result.midline.lower_lip == pytest.approx(0, abs=EXACT)
    assert result.midline.chin == pytest.approx(0, abs=EXACT)


def test_the_values_of_a_symmetric_face():
    result = measure_photo(on_photo(face_points()), photo_scale(1)).paired
    assert result[Measure.BROW_HEIGHT].left == pytest.approx(50 * MM_PER_PX)
    assert result[Measure.PALPEBRAL_FISSURE].right == pytest.approx(42 * MM_PER_PX)
    assert result[Measure.COMMISSURE_HEIGHT].left == pytest.approx(-200 * MM_PER_PX)
    assert result[Measure.UPPER_LIP_SHOW].right == pytest.approx(24 * MM_PER_PX)


@settings(max_examples=200, deadline=None)
@given(pixels, angles, scales, shifts)
def test_a_brow_raised_k_pixels_reads_k_times_the_scale_at_any_tilt(k, angle, scale, shift):
    face = moved(face_points(), L.BROW_PEAK_L, up=k)
    brow = measure(Measure.BROW_HEIGHT, on_photo(face, angle, scale, shift), photo_scale(scale))
    assert brow.difference == pytest.approx(k * MM_PER_PX, abs=EXACT)
    assert brow.left == pytest.approx((50 + k) * MM_PER_PX, abs=EXACT)
    if abs(brow.difference) >= EVEN_WITHIN_MM:
        assert brow.greater is (Side.LEFT if k > 0 else Side.RIGHT)


@settings(max_examples=200, deadline=None)
@given(pixels, pixels, pixels, pixels, pixels, angles, scales, shifts)
def test_every_measure_is_unchanged_by_tilt_distance_and_place(
    brow, lid, mouth, peak, chin, angle, scale, shift
):
    face = moved(face_points(), L.BROW_PEAK_R, up=brow)
    face = moved(face, L.UPPER_LID_L, up=lid / 4)
    face = moved(face, L.COMMISSURE_R, lateral=mouth / 2, up=mouth)
    face = moved(face, L.CUPID_PEAK_L, up=peak / 4)
    face = moved(face, L.CHIN, lateral=chin)
    upright = measure_photo(on_photo(face), photo_scale(1))
    turned = measure_photo(on_photo(face, angle, scale, shift), photo_scale(scale))
    for m in PHOTO_MEASURES:
        assert turned.paired[m].left == pytest.approx(upright.paired[m].left, abs=EXACT)
        assert turned.paired[m].right == pytest.approx(upright.paired[m].right, abs=EXACT)
    assert upright.paired[Measure.BROW_HEIGHT].difference == pytest.approx(-brow * MM_PER_PX, abs=EXACT)
    assert upright.paired[Measure.PALPEBRAL_FISSURE].difference == pytest.approx(
        lid / 4 * MM_PER_PX, abs=EXACT
    )
    assert upright.paired[Measure.COMMISSURE_HEIGHT].difference == pytest.approx(
        -mouth * MM_PER_PX, abs=EXACT
    )
    assert upright.paired[Measure.UPPER_LIP_SHOW].difference == pytest.approx(peak / 4 * MM_PER_PX, abs=EXACT)
    assert turned.midline is not None
    assert turned.midline.chin == pytest.approx(chin * MM_PER_PX, abs=EXACT)
    assert turned.midline.lower_lip == pytest.approx(0, abs=EXACT)


@settings(max_examples=200, deadline=None)
@given(pixels, pixels, pixels, angles, scales, shifts)
def test_a_mirrored_photo_gives_the_same_magnitude_on_the_other_side(brow, mouth, chin, angle, scale, shift):
    face = moved(face_points(), L.BROW_PEAK_L, up=brow)
    face = moved(face, L.COMMISSURE_R, up=mouth)
    face = moved(face, L.LOWER_LIP_MID, lateral=chin / 3)
    face = moved(face, L.CHIN, lateral=chin)
    photo = on_photo(face, angle, scale, shift)
    original = measure_photo(photo, photo_scale(scale))
    mirror = measure_photo(photo.mirrored(), photo_scale(scale))
    for m in PHOTO_MEASURES:
        assert mirror.paired[m].difference == pytest.approx(-original.paired[m].difference, abs=EXACT)
        assert mirror.paired[m].left == pytest.approx(original.paired[m].right, abs=EXACT)
    assert original.midline is not None and mirror.midline is not None
    assert mirror.midline.chin == pytest.approx(-original.midline.chin, abs=EXACT)
    assert mirror.midline.lower_lip == pytest.approx(-original.midline.lower_lip, abs=EXACT)


def test_sides_are_named_by_the_patient():
    """The patient's left brow raised: on the image it is the brow on the right, higher up."""
    face = moved(face_points(), L.BROW_PEAK_L, up=8)
    photo = on_photo(face)
    assert photo[L.BROW_PEAK_L][0] > photo[L.BROW_PEAK_R][0]  # the patient's left: image right
    assert photo[L.BROW_PEAK_L][1] < photo[L.BROW_PEAK_R][1]  # higher: smaller y
    brow = measure(Measure.BROW_HEIGHT, photo, photo_scale(1))
    assert brow.greater is Side.LEFT
    assert brow.difference == pytest.approx(8 * MM_PER_PX)


def test_the_chin_toward_the_patients_right_is_negative():
    face = moved(face_points(), L.CHIN, lateral=-12)
    photo = on_photo(face)
    assert photo[L.CHIN][0] < photo[L.LOWER_LIP_MID][0]  # toward the image's left
    deviation = measure_photo(photo, photo_scale(1), []).midline
    assert deviation is not None
    assert deviation.chin == pytest.approx(-12 * MM_PER_PX)
    assert deviation.side(deviation.chin) is Side.RIGHT
    assert deviation.side(deviation.lower_lip) is None


def test_a_midline_through_the_medial_canthi():
    face = moved(face_points(), L.MEDIAL_CANTHUS_L, lateral=6)  # the canthi's midpoint moves 3 px left
    photo = on_photo(face, angle=0.3)
    by_pupils = measure_photo(photo, photo_scale(1), []).midline
    by_canthi = measure_photo(photo, photo_scale(1), [], midline=Midline.CANTHI).midline
    assert by_pupils is not None and by_canthi is not None
    assert by_pupils.chin == pytest.approx(0, abs=EXACT)
    assert by_canthi.chin == pytest.approx(-3 * MM_PER_PX)


def test_a_missing_landmark_is_refused_by_name():
    points = {k.value: p for k, p in on_photo(face_points()).items() if k is not L.UPPER_LID_R}
    photo = Landmarks.of(points, 4000, 4000)
    assert Measure.PALPEBRAL_FISSURE not in available(photo)
    assert Measure.BROW_HEIGHT in available(photo)
    with pytest.raises(
        ValidationError,
        match=r"palpebral fissure height needs the patient's right upper lid margin \(upper_lid_r\)",
    ):
        measure_photo(photo, photo_scale(1))
    assert measure_photo(photo, photo_scale(1), available(photo)).paired.keys() == available(photo)


def test_the_midline_needs_the_chin():
    points = {k.value: p for k, p in on_photo(face_points()).items() if k is not L.CHIN}
    photo = Landmarks.of(points, 4000, 4000)
    with pytest.raises(ValidationError, match=r"midline deviation needs the chin \(chin\)"):
        measure_photo(photo, photo_scale(1))
    assert measure_photo(photo, photo_scale(1), midline=None).midline is None


def test_a_photo_whose_sides_are_swapped_is_refused():
    """Left and right placed as on a mirror (a selfie): the face would come out upside down."""
    swapped = on_photo(face_points()).mirrored()
    keys_as_placed = {key.other_side.value: point for key, point in swapped.items()}
    with pytest.raises(ValidationError, match="swapped"):
        measure_photo(Landmarks.of(keys_as_placed, 4000, 4000), photo_scale(1))


def test_pupils_on_one_spot_are_refused():
    with pytest.raises(ValidationError, match="same spot"):
        measure(Measure.BROW_HEIGHT, Landmarks.of({"pupil_l": (5, 5), "pupil_r": (5, 5)}, 10, 10), Scale(1))


@settings(max_examples=100, deadline=None)
@given(pixels, pixels, angles, scales, shifts, angles, scales, shifts)
def test_smile_excursion_is_how_far_each_corner_moves(lx, rx, a1, s1, t1, a2, s2, t2):
    """The head may tilt and move between the two photos: each corner's movement is read in
    its own photo's frame and scale."""
    rest = face_points()
    smile = moved(
        moved(rest, L.COMMISSURE_L, lateral=abs(lx), up=abs(lx)),
        L.COMMISSURE_R,
        lateral=-abs(rx),
        up=abs(rx) / 2,
    )
    excursion = smile_excursion(
        on_photo(rest, a1, s1, t1), photo_scale(s1), on_photo(smile, a2, s2, t2), photo_scale(s2)
    )
    assert excursion.measure is Measure.SMILE_EXCURSION
    assert excursion.left == pytest.approx(math.hypot(lx, lx) * MM_PER_PX, abs=EXACT)
    assert excursion.right == pytest.approx(math.hypot(rx, rx / 2) * MM_PER_PX, abs=EXACT)


def test_smile_excursion_is_not_a_one_photo_measure():
    with pytest.raises(ValidationError, match="at rest and one smiling"):
        measure(Measure.SMILE_EXCURSION, on_photo(face_points()), photo_scale(1))


def test_change_from_the_previous_visit():
    before = measure_photo(on_photo(moved(face_points(), L.BROW_PEAK_L, up=-8)), photo_scale(1))
    after_face = moved(moved(face_points(), L.BROW_PEAK_L, up=4), L.CHIN, lateral=2)
    # The later photo is taken nearer, tilted and elsewhere in the frame: only the face counts.
    after = measure_photo(on_photo(after_face, 0.2, 1.5, (30, -60)), photo_scale(1.5))
    delta = change(before, after)
    brow = delta.paired[Measure.BROW_HEIGHT]
    assert brow.left == pytest.approx(12 * MM_PER_PX)
    assert brow.right == pytest.approx(0, abs=EXACT)
    assert brow.difference == pytest.approx(12 * MM_PER_PX)
    assert delta.paired[Measure.COMMISSURE_HEIGHT].difference == pytest.approx(0, abs=EXACT)
    assert delta.midline is not None
    assert delta.midline.chin == pytest.approx(2 * MM_PER_PX)


def test_change_leaves_out_what_one_visit_lacks():
    photo = on_photo(face_points())
    before = measure_photo(photo, photo_scale(1), [Measure.BROW_HEIGHT], midline=None)
    after = measure_photo(photo, photo_scale(1), [Measure.BROW_HEIGHT, Measure.COMMISSURE_HEIGHT])
    delta = change(before, after)
    assert set(delta.paired) == {Measure.BROW_HEIGHT}
    assert delta.midline is None


points = st.tuples(st.floats(-1000, 1000), st.floats(-1000, 1000))


def _apart(pair):
    return math.dist(*pair) > 1


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(points, points).filter(_apart),
    st.tuples(points, points).filter(_apart),
    st.lists(points, min_size=3, max_size=3),
)
def test_similarity_maps_the_points_and_keeps_angles_and_ratios(source, target, others):
    affine = similarity(source, target)
    for s, t in zip(source, target, strict=True):
        assert apply(affine, s) == pytest.approx(t, abs=1e-6)
    (a, b, _), (d, e, _) = affine
    assert a == pytest.approx(e) and b == pytest.approx(-d)  # rotation and one scale, no shear, no flip
    ratio = math.dist(*target) / math.dist(*source)
    p, q, r = others
    mp, mq, mr = (apply(affine, x) for x in others)
    assert math.dist(mp, mq) == pytest.approx(ratio * math.dist(p, q), rel=1e-9, abs=1e-6)
    if math.dist(p, q) > 1 and math.dist(r, q) > 1:  # an angle is defined at q
        turn = _angle(mp, mq, mr) - _angle(p, q, r)
        assert math.sin(turn) == pytest.approx(0, abs=1e-6) and math.cos(turn) > 0
    back = invert(affine)
    for x in others:
        assert apply(back, apply(affine, x)) == pytest.approx(x, abs=1e-6)


def _angle(p, q, r):
    """The signed angle at q from p to r."""
    return math.atan2(
        (p[0] - q[0]) * (r[1] - q[1]) - (p[1] - q[1]) * (r[0] - q[0]),
        (p[0] - q[0]) * (r[0] - q[0]) + (p[1] - q[1]) * (r[1] - q[1]),
    )


@settings(max_examples=100, deadline=None)
@given(angles, scales, shifts, angles, scales, shifts)
def test_aligning_on_the_eyes_lays_one_visits_face_on_the_other(a1, s1, t1, a2, s2, t2):
    earlier, later = on_photo(face_points(), a1, s1, t1), on_photo(face_points(), a2, s2, t2)
    affine = align_on_eyes(later, earlier)
    for key in (L.PUPIL_L, L.PUPIL_R):
        assert apply(affine, later[key]) == pytest.approx(earlier[key], abs=1e-6)
    for key in later:  # the same face: every landmark lands on its twin
        assert apply(affine, later[key]) == pytest.approx(earlier[key], abs=1e-6)


def test_alignment_needs_both_pupils():
    bare = Landmarks.of({"pupil_l": (5, 5)}, 10, 10)
    with pytest.raises(ValidationError, match=r"reference photo\) needs the patient's right pupil"):
        align_on_eyes(on_photo(face_points()), bare)
    with pytest.raises(ValidationError, match="two distinct points"):
        similarity(((1, 1), (1, 1)), ((0, 0), (1, 0)))
