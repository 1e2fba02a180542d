"""Landmarks: a closed vocabulary of the patient's sides, and points that must be on the photo."""

import math

import pytest

from models.errors import ValidationError
from models.landmarks import Landmark, Landmarks


def test_keys_are_the_patients_sides_and_pair_up():
    assert Landmark.BROW_PEAK_L.other_side is Landmark.BROW_PEAK_R
    assert Landmark.COMMISSURE_R.other_side is Landmark.COMMISSURE_L
    assert Landmark.CHIN.other_side is Landmark.CHIN
    assert Landmark.BROW_PEAK_L.spoken == "the patient's left brow peak"
    sided = [key for key in Landmark if key.other_side is not key]
    assert all(key.other_side.other_side is key for key in sided)
    assert len(sided) == 20  # ten pairs, two midline points


def test_plain_keys_are_read_into_the_vocabulary():
    marks = Landmarks.of({"pupil_l": (60, 40), "chin": (50.5, 90)}, 100, 100)
    assert marks[Landmark.PUPIL_L] == (60.0, 40.0)
    assert set(marks) == {Landmark.PUPIL_L, Landmark.CHIN}
    assert len(marks) == 2


@pytest.mark.parametrize(
    ("points", "field", "words"),
    [
        ({"pupil_l": (math.nan, 4)}, "pupil_l", "finite"),
        ({"pupil_l": (4, math.inf)}, "pupil_l", "finite"),
        ({"chin": (101, 50)}, "chin", "outside the 100 × 100 photo"),
        ({"chin": (50, -0.5)}, "chin", "outside"),
        ({"chin": (50,)}, "chin", "an \\(x, y\\) pair"),
        ({"chin": ("50", 3)}, "chin", "finite"),
        ({"nose_tip": (50, 50)}, "landmark", "'nose_tip' is not a face landmark"),
    ],
)
def test_refuses_a_point_that_is_not_on_the_photo(points, field, words):
    with pytest.raises(ValidationError, match=words) as refused:
        Landmarks.of(points, 100, 100)
    assert refused.value.field == field


def test_edges_of_the_photo_are_on_it():
    assert len(Landmarks.of({"chin": (0, 100), "pupil_l": (100, 0)}, 100, 100)) == 2


def test_refuses_a_photo_without_size():
    with pytest.raises(ValidationError, match="size"):
        Landmarks.of({}, 0, 100)


def test_a_missing_landmark_is_named():
    marks = Landmarks.of({"pupil_l": (60, 40)}, 100, 100)
    with pytest.raises(
        ValidationError, match=r"brow height needs the patient's right pupil \(pupil_r\)"
    ) as refused:
        marks.require([Landmark.PUPIL_L, Landmark.PUPIL_R], "the brow height")
    assert refused.value.field == "pupil_r"


def test_mirroring_flips_x_and_changes_sides():
    marks = Landmarks.of({"pupil_l": (60, 40), "pupil_r": (30, 41), "chin": (45, 90)}, 100, 120)
    flipped = marks.mirrored()
    assert flipped[Landmark.PUPIL_R] == (40.0, 40.0)
    assert flipped[Landmark.PUPIL_L] == (70.0, 41.0)
    assert flipped[Landmark.CHIN] == (55.0, 90.0)
    assert flipped.mirrored() == marks


def test_landmarks_cannot_be_changed():
    marks = Landmarks.of({"chin": (45, 90)}, 100, 120)
    with pytest.raises(TypeError):
        marks._points[Landmark.CHIN] = (1, 1)  # type: ignore[index]
