"""Points placed where each treatment is usually injected land in that treatment's region,
on both sides: region priority follows anatomy, not which outline happens to be smaller."""

import pytest

from models.face_map import face_map
from models.vocabulary import View

# Usual injection zones on the front drawing (viewBox 800 x 1000), for the patient's RIGHT
# side (the viewer's left); the left side mirrors them. (x from, x to, y from, y to), with the
# anatomy each follows:
ZONES = {
    # Lower third of the masseter, behind its anterior border and clear of the mandibular
    # border (where jawline filler goes): the usual masseter toxin sites.
    "masseter_r": (236, 252, 648, 680),
    # Depressor anguli oris: its lower part, lateral to the marionette line and above the
    # mandibular border.
    "dao_r": (314, 330, 726, 752),
    # Mentalis: the chin prominence, both sides of the midline ("chin" is a midline region).
    "chin": (378, 422, 746, 784),
    # LLSAN: beside the nasal ala, at the top of the nasolabial fold (gummy smile).
    "llsan_r": (350, 370, 548, 578),
    # Lateral canthal lines: about 1 cm lateral to the orbital rim, above and below the canthus.
    "crows_feet_r": (196, 244, 412, 456),
    # Platysma bands: the vertical bands of the anterior neck.
    "platysma_r": (306, 346, 840, 940),
}

STEPS = 5


def grid(x_from, x_to, y_from, y_to):
    for i in range(STEPS):
        for j in range(STEPS):
            yield (x_from + (x_to - x_from) * i / (STEPS - 1), y_from + (y_to - y_from) * j / (STEPS - 1))


def mirrored(code: str, zone):
    x_from, x_to, y_from, y_to = zone
    other = code[:-2] + "_l" if code.endswith("_r") else code
    return other, (800 - x_to, 800 - x_from, y_from, y_to)


CASES = [(code, zone) for code, zone in ZONES.items()] + [
    mirrored(code, zone) for code, zone in ZONES.items() if code.endswith("_r")
]


@pytest.mark.parametrize(("code", "zone"), CASES, ids=[code for code, _ in CASES])
def test_the_usual_injection_zone_resolves_to_its_region(code, zone):
    regions = face_map(View.FRONT)
    wrong = {(round(x), round(y)): regions.region_at(x / 800, y / 1000) for x, y in grid(*zone)}
    wrong = {point: found for point, found in wrong.items() if found != code}
    assert not wrong, f"{code}: {len(wrong)} of {STEPS * STEPS} grid points resolve elsewhere: {wrong}"


def test_the_jawline_stays_clickable_at_the_jaw_angle_and_along_the_border():
    """Jawline filler goes on the mandibular border: the band below the masseter is jawline."""
    regions = face_map(View.FRONT)
    for x, y in ((214, 696), (232, 712), (262, 735), (290, 752)):
        assert regions.region_at(x / 800, y / 1000) == "jawline_r", (x, y)
        assert regions.region_at((800 - x) / 800, y / 1000) == "jawline_l", (x, y)


def test_every_region_anchor_lands_in_its_own_region():
    """Templates and the keyboard place points at the anchors: each must chart its region."""
    from models.regions import REGIONS, front_anchor

    regions = face_map(View.FRONT)
    assert {
        code: regions.region_at(*front_anchor(code))
        for code in REGIONS
        if regions.region_at(*front_anchor(code)) != code
    } == {}
