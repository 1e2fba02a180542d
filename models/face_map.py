"""Where a point on the face drawing falls: the region outlines of the face-map SVGs.

Each view's drawing (resources/face/<view>.svg, viewBox 0 0 800 1000) holds one polygon
per region code in its `regions` group. A point belongs to an injection site before a broad
backdrop area (models.regions.BACKDROP_REGIONS: jawline, perioral, midface, forehead, neck),
then to the smallest outline that contains it, so the procerus wins over the glabella around
it and the masseter over the jawline band. Coordinates here are normalized (0..1 of the
drawing's width and height).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import resources
from models.regions import BACKDROP_REGIONS, REGIONS
from models.vocabulary import View

DRAWING_WIDTH = 800.0
DRAWING_HEIGHT = 1000.0
_SVG = "{http://www.w3.org/2000/svg}"

Point = tuple[float, float]


@dataclass(frozen=True)
class RegionOutline:
    code: str
    polygon: tuple[Point, ...]  # normalized

    @property
    def area(self) -> float:
        total = 0.0
        for (x1, y1), (x2, y2) in zip(self.polygon, self.polygon[1:] + self.polygon[:1], strict=True):
            total += x1 * y2 - x2 * y1
        return abs(total) / 2

    def contains(self, x: float, y: float) -> bool:
        """Even-odd ray casting."""
        inside = False
        points = self.polygon
        j = len(points) - 1
        for i, (xi, yi) in enumerate(points):
            xj, yj = points[j]
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                inside = not inside
            j = i
        return inside


class FaceMap:
    """The region outlines of one view."""

    def __init__(self, view: View, outlines: list[RegionOutline]):
        self.view = view
        # Sites before backdrops, smallest first: the first outline that contains a point wins.
        self.outlines = sorted(outlines, key=lambda o: (o.code in BACKDROP_REGIONS, o.area))
        self.by_code = {o.code: o for o in outlines}

    def region_at(self, x: float, y: float) -> str | None:
        for outline in self.outlines:
            if outline.contains(x, y):
                return outline.code
        return None

    def centre(self, code: str) -> Point:
        """A point inside the outline, near its middle (for placing template points)."""
        polygon = self.by_code[code].polygon
        x = sum(p[0] for p in polygon) / len(polygon)
        y = sum(p[1] for p in polygon) / len(polygon)
        return (x, y)


def svg_path(view: View) -> Path:
    return resources.path(f"face/{view.value}.svg")


def parse_outlines(svg: Path) -> list[RegionOutline]:
    root = ET.parse(svg).getroot()
    group = next(g for g in root.iter(f"{_SVG}g") if g.get("id") == "regions")
    outlines = []
    for polygon in group.iter(f"{_SVG}polygon"):
        code = (polygon.get("id") or "").removeprefix("region-")
        if code not in REGIONS:
            continue
        numbers = [float(n) for n in polygon.get("points", "").replace(",", " ").split()]
        points = tuple(
            (numbers[i] / DRAWING_WIDTH, numbers[i + 1] / DRAWING_HEIGHT)
            for i in range(0, len(numbers) - 1, 2)
        )
        outlines.append(RegionOutline(code, points))
    return outlines


@cache
def face_map(view: View) -> FaceMap:
    return FaceMap(view, parse_outlines(svg_path(view)))
