"""The canonical face regions of the chart.

Codes are the ones of the domain reference; `_l` / `_r` are the PATIENT's left and
right. The front view carries every region; a profile view shows its own side and the
midline only.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.vocabulary import Side, View


@dataclass(frozen=True)
class Region:
    code: str
    label: str  # how clinicians name it, with the side spelled out
    zone: str  # "upper", "mid" or "lower" face (neck counts as lower)
    side: Side
    pair_code: str  # the code without its side: masseter_l and masseter_r are both "masseter"
    pair_label: str  # the label without its side: "Masseter"

    @property
    def paired_code(self) -> str | None:
        """The same region on the other side (crows_feet_l -> crows_feet_r)."""
        if self.side is Side.LEFT:
            return self.code[:-2] + "_r"
        if self.side is Side.RIGHT:
            return self.code[:-2] + "_l"
        return None


# (base code, label, zone, paired?) in head-to-neck order, as a chart is read.
_CATALOGUE: tuple[tuple[str, str, str, bool], ...] = (
    ("forehead", "Forehead", "upper", False),
    ("forehead", "Forehead", "upper", True),
    ("glabella", "Glabella", "upper", False),
    ("procerus", "Procerus", "upper", False),
    ("corrugator", "Corrugator", "upper", True),
    ("brow_tail", "Brow tail", "upper", True),
    ("crows_feet", "Crow's feet (lateral canthal)", "upper", True),
    ("temple", "Temple", "upper", True),
    ("tear_trough", "Tear trough", "upper", True),
    ("bunny_lines", "Bunny lines (nasalis)", "mid", True),
    ("nose_dorsum", "Nasal dorsum", "mid", False),
    ("nose_tip", "Nasal tip", "mid", False),
    ("cheek", "Cheek (zygoma/malar)", "mid", True),
    ("midface", "Midface", "mid", True),
    ("nasolabial", "Nasolabial fold", "mid", True),
    ("llsan", "LLSAN (gummy smile)", "mid", True),
    ("upper_lip", "Upper lip", "mid", True),
    ("philtrum", "Philtrum", "mid", False),
    ("cupids_bow", "Cupid's bow", "mid", False),
    ("lower_lip", "Lower lip", "mid", True),
    ("perioral", "Perioral lines", "mid", False),
    ("oral_commissure", "Oral commissure", "mid", True),
    ("dao", "Depressor anguli oris (DAO)", "mid", True),
    ("marionette", "Marionette lines", "mid", True),
    ("chin", "Chin (mentalis)", "lower", False),
    ("prejowl", "Prejowl sulcus", "lower", True),
    ("jawline", "Jawline", "lower", True),
    ("masseter", "Masseter", "lower", True),
    ("submental", "Submental", "lower", False),
    ("platysma", "Platysma bands", "lower", True),
    ("neck", "Neck", "lower", False),
)


# Where each region sits on the front view, as (x, y) in 0..1 of the drawing, for the
# patient's RIGHT side (the viewer's left); the patient's left mirrors it. Proportions
# follow the classical thirds and fifths: brows at 0.36, eyes 0.43, nose base 0.58,
# mouth 0.665, chin 0.78.
_FRONT_ANCHORS: dict[str, tuple[float, float]] = {
    "forehead": (0.50, 0.25),
    "forehead_r": (0.40, 0.27),
    "glabella": (0.50, 0.37),
    "procerus": (0.50, 0.40),
    "corrugator_r": (0.44, 0.355),
    "brow_tail_r": (0.31, 0.35),
    "crows_feet_r": (0.255, 0.43),
    "temple_r": (0.24, 0.33),
    "tear_trough_r": (0.40, 0.47),
    "bunny_lines_r": (0.465, 0.465),
    "nose_dorsum": (0.50, 0.48),
    "nose_tip": (0.50, 0.555),
    "cheek_r": (0.31, 0.50),
    "midface_r": (0.37, 0.54),
    "nasolabial_r": (0.42, 0.615),
    "llsan_r": (0.45, 0.565),
    "upper_lip_r": (0.465, 0.652),
    "philtrum": (0.50, 0.622),
    "cupids_bow": (0.50, 0.643),
    "lower_lip_r": (0.465, 0.688),
    "perioral": (0.50, 0.715),
    "oral_commissure_r": (0.425, 0.67),
    "dao_r": (0.41, 0.735),
    "marionette_r": (0.43, 0.71),
    "chin": (0.50, 0.78),
    "prejowl_r": (0.40, 0.77),
    "jawline_r": (0.30, 0.72),
    "masseter_r": (0.29, 0.64),
    "submental": (0.50, 0.84),
    "platysma_r": (0.42, 0.90),
    "neck": (0.50, 0.94),
}


# Broad areas drawn behind the injection sites: wherever a site's outline overlaps one of
# them, the site wins whatever the sizes, so the lower masseter (where masseter toxin goes)
# is masseter and not jawline, and the lips are never perioral.
BACKDROP_REGIONS = frozenset(
    {"forehead", "perioral", "midface_l", "midface_r", "jawline_l", "jawline_r", "neck"}
)


def front_anchor(code: str) -> tuple[float, float]:
    """The centre of a region on the front view (x, y in 0..1)."""
    if code in _FRONT_ANCHORS:
        return _FRONT_ANCHORS[code]
    x, y = _FRONT_ANCHORS[code[:-2] + "_r"]
    return (round(1 - x, 4), y)


def _build() -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for base, label, zone, paired in _CATALOGUE:
        if not paired:
            regions[base] = Region(base, label, zone, Side.MIDLINE, base, label)
            continue
        regions[f"{base}_l"] = Region(f"{base}_l", f"{label}, left", zone, Side.LEFT, base, label)
        regions[f"{base}_r"] = Region(f"{base}_r", f"{label}, right", zone, Side.RIGHT, base, label)
    return regions


REGIONS: dict[str, Region] = _build()


def region(code: str) -> Region:
    """The region for a canonical code; KeyError if unknown."""
    return REGIONS[code]


def regions_in_view(view: View) -> list[Region]:
    """Regions that can be charted on a view: all on the front, own side + midline in profile."""
    if view is View.FRONT:
        return list(REGIONS.values())
    hidden = Side.RIGHT if view is View.LEFT else Side.LEFT
    return [r for r in REGIONS.values() if r.side is not hidden]
