"""Where a printed map draws each numbered marker so that none hides another.

A marker is a disc with the point's number in it. Points injected close together (lips,
glabella) would put their discs on top of each other; such a marker is moved aside to the
nearest free place and a leader line runs from it to the true site. Pure geometry, in the
drawing's own units: the caller says how big a disc is and where the drawing ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
Bounds = tuple[float, float, float, float]  # left, bottom, right, top

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Placement:
    """A marker's disc centre and the site it stands for; a leader joins them when apart."""

    site: Point
    centre: Point

    @property
    def moved(self) -> bool:
        return self.centre != self.site


def place_markers(sites: Sequence[Point], radius: float, bounds: Bounds | None = None) -> list[Placement]:
    """One placement per site, in order. No two discs of `radius` overlap. A marker stays on
    its site when its disc is clear of the discs already placed and covers no other site;
    otherwise it goes to the nearest place, on widening rings around the site, that is clear,
    inside `bounds` if it can be, and covering no other site if it can be."""
    gap = 2 * radius
    centres: list[Point] = []
    placements: list[Placement] = []
    for index, site in enumerate(sites):
        others = [other for i, other in enumerate(sites) if i != index]
        if _clear(site, centres, gap) and not _covers(site, others, radius):
            centre = site
        else:
            centre = _nearest_place(site, centres, others, radius, bounds)
        centres.append(centre)
        placements.append(Placement(site, centre))
    return placements


def _clear(centre: Point, centres: Sequence[Point], gap: float) -> bool:
    return all(math.dist(centre, other) >= gap - _TOLERANCE for other in centres)


def _covers(centre: Point, sites: Sequence[Point], radius: float) -> bool:
    return any(math.dist(centre, site) < radius for site in sites)


def _inside(centre: Point, radius: float, bounds: Bounds | None) -> bool:
    if bounds is None:
        return True
    left, bottom, right, top = bounds
    x, y = centre
    return left + radius <= x <= right - radius and bottom + radius <= y <= top - radius


RINGS = 40


def _ring(site: Point, away: float, gap: float, step: int) -> list[Point]:
    """Candidate centres on the `step`th ring around `site` (rings widen by half a disc),
    ordered from the direction `away` (radians) outwards on both sides. Made only when
    reached: nearly every marker finds its place on the first."""
    distance = gap * (1 + 0.5 * (step - 1))
    count = max(12, int(2 * math.pi * distance / (gap / 2)))
    turns = [0] + [sign * k for k in range(1, count // 2 + 1) for sign in (1, -1)][: count - 1]
    return [
        (
            site[0] + distance * math.cos(away + 2 * math.pi * turn / count),
            site[1] + distance * math.sin(away + 2 * math.pi * turn / count),
        )
        for turn in turns
    ]


def _nearest_place(
    site: Point, centres: Sequence[Point], others: Sequence[Point], radius: float, bounds: Bounds | None
) -> Point:
    gap = 2 * radius
    crowd = [c for c in list(centres) + list(others) if math.dist(c, site) < 2 * gap]
    dx = sum(site[0] - c[0] for c in crowd)
    dy = sum(site[1] - c[1] for c in crowd)
    away = math.atan2(dy, dx) if abs(dx) + abs(dy) > _TOLERANCE else math.pi / 2
    # The best place first; each fallback gives up one wish, never the clear disc.
    for wishes in (2, 1, 0):
        for step in range(1, RINGS + 1):
            for candidate in _ring(site, away, gap, step):
                if not _clear(candidate, centres, gap):
                    continue
                if wishes >= 1 and not _inside(candidate, radius, bounds):
                    continue
                if wishes >= 2 and _covers(candidate, others, radius):
                    continue
                return candidate
    # Farther than every disc placed so far: always clear.
    reach = max((math.dist(site, c) for c in centres), default=0.0) + gap
    return (site[0] + reach * math.cos(away), site[1] + reach * math.sin(away))
