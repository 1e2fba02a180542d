"""The region catalogue holds exactly the canonical codes of the domain reference."""

from models.regions import REGIONS, front_anchor, regions_in_view
from models.vocabulary import Side, View

# The canonical codes of the domain reference ("Regions of the face map"), copied here so
# that the suite reads nothing outside the repository: paired regions, then midline ones.
PAIRED = (
    "brow_tail",
    "bunny_lines",
    "cheek",
    "corrugator",
    "crows_feet",
    "dao",
    "forehead",
    "jawline",
    "llsan",
    "lower_lip",
    "marionette",
    "masseter",
    "midface",
    "nasolabial",
    "oral_commissure",
    "platysma",
    "prejowl",
    "tear_trough",
    "temple",
    "upper_lip",
)
MIDLINE = (
    "chin",
    "cupids_bow",
    "forehead",
    "glabella",
    "neck",
    "nose_dorsum",
    "nose_tip",
    "perioral",
    "philtrum",
    "procerus",
    "submental",
)
REFERENCE_CODES = {f"{base}_{side}" for base in PAIRED for side in "lr"} | set(MIDLINE)


def test_catalogue_matches_the_reference():
    assert len(REFERENCE_CODES) == 51
    assert set(REGIONS) == REFERENCE_CODES


def test_sides_are_the_patients_own():
    assert REGIONS["crows_feet_l"].side is Side.LEFT
    assert REGIONS["crows_feet_l"].paired_code == "crows_feet_r"
    assert REGIONS["glabella"].side is Side.MIDLINE and REGIONS["glabella"].paired_code is None
    # The patient's left appears on the viewer's right of a front drawing.
    assert front_anchor("crows_feet_l")[0] > 0.5 > front_anchor("crows_feet_r")[0]


def test_every_region_has_an_anchor_inside_the_drawing():
    for code in REGIONS:
        x, y = front_anchor(code)
        assert 0 < x < 1 and 0 < y < 1, code


def test_views():
    assert len(regions_in_view(View.FRONT)) == len(REGIONS)
    left = {r.code for r in regions_in_view(View.LEFT)}
    assert "masseter_l" in left and "masseter_r" not in left and "chin" in left
