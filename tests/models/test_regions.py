"""The region catalogue holds exactly the canonical codes of the domain reference."""

import re
from pathlib import Path

from models.regions import REGIONS, front_anchor, regions_in_view
from models.vocabulary import Side, View

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "domain.md"


def reference_codes() -> set[str]:
    text = REFERENCE.read_text(encoding="utf-8")
    section = text.split("## Regions of the face map", 1)[1].split("\nViews:", 1)[0]
    codes = set()
    for token in re.findall(r"`([a-z_/]+)`", section):
        if "/" in token:  # corrugator_l/_r
            base = token.split("/")[0][:-2]
            codes |= {f"{base}_l", f"{base}_r"}
        else:
            codes.add(token)
    return codes


def test_catalogue_matches_the_reference():
    assert REFERENCE.exists(), REFERENCE
    assert set(REGIONS) == reference_codes()


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
