"""The chart being edited: a plain document of points that the face-map scene mirrors,
and the visit's own fields (injector, time, concern, notes, consent) beside them.

The document knows nothing of Qt. Every change goes through four methods (insert,
remove, replace for the points, set_fields for the visit's fields) that undo commands
call. A change of points is announced to listeners as (kind, uids) with kind "added",
"removed" or "changed"; a change of the fields to field listeners with the new fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from models.records import ChartedPoint, PointDraft
from models.regions import REGIONS
from models.vocabulary import Depth, DoseUnit, Technique, View

Listener = Callable[[str, list[int]], None]


@dataclass(frozen=True)
class VisitFields:
    """The parts of a visit the editor changes besides its points."""

    provider_id: int
    started_at: datetime
    concern: str = ""
    notes: str = ""
    consent_recorded: bool = False


FieldsListener = Callable[[VisitFields], None]


class ChartDocument:
    def __init__(self, points: Iterable[ChartedPoint] = (), fields: VisitFields | None = None):
        self._points: dict[int, ChartedPoint] = {}
        self._last_uid = 0
        self._listeners: list[Listener] = []
        self._fields = fields
        self._fields_listeners: list[FieldsListener] = []
        for point in points:
            self._points[self._take_uid()] = point

    # -------------------------------------------------------------- reading

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def subscribe_fields(self, listener: FieldsListener) -> None:
        """`listener(fields)` after every change of the visit's fields."""
        self._fields_listeners.append(listener)

    @property
    def fields(self) -> VisitFields:
        """The visit's fields as they are now (what a save writes)."""
        if self._fields is None:
            raise LookupError("this chart was made without its visit's fields")
        return self._fields

    def __len__(self) -> int:
        return len(self._points)

    def __contains__(self, uid: int) -> bool:
        return uid in self._points

    def point(self, uid: int) -> ChartedPoint:
        return self._points[uid]

    def items(self) -> list[tuple[int, ChartedPoint]]:
        """Points in charting order (the order they were placed)."""
        return sorted(self._points.items())

    def charted(self) -> list[ChartedPoint]:
        return [point for _, point in self.items()]

    def drafts(self) -> list[PointDraft]:
        """The chart as the save service takes it."""
        return [to_draft(point) for point in self.charted()]

    # -------------------------------------------------------------- changing

    def _take_uid(self) -> int:
        self._last_uid += 1
        return self._last_uid

    def new_uids(self, count: int) -> list[int]:
        return [self._take_uid() for _ in range(count)]

    def insert(self, points: dict[int, ChartedPoint]) -> None:
        self._points.update(points)
        self._announce("added", list(points))

    def remove(self, uids: Iterable[int]) -> dict[int, ChartedPoint]:
        removed = {uid: self._points.pop(uid) for uid in list(uids) if uid in self._points}
        self._announce("removed", list(removed))
        return removed

    def replace(self, points: dict[int, ChartedPoint]) -> None:
        self._points.update(points)
        self._announce("changed", list(points))

    def set_fields(self, fields: VisitFields) -> None:
        if fields != self._fields:
            self._fields = fields
            for listener in list(self._fields_listeners):
                listener(fields)

    def _announce(self, kind: str, uids: list[int]) -> None:
        if uids:
            for listener in list(self._listeners):
                listener(kind, uids)


def to_draft(point: ChartedPoint) -> PointDraft:
    return PointDraft(
        view=point.view,
        x=point.x,
        y=point.y,
        region_code=point.region_code,
        product_name=point.product_name,
        amount=point.amount,
        unit=point.unit,
        aliquots=point.aliquots,
        lot_number=point.lot_number,
        lot_expiry=point.lot_expiry,
        depth=point.depth,
        technique=point.technique,
        gauge=point.gauge,
        notes=point.notes,
        lot_package_size=point.lot_package_size,
    )


@dataclass(frozen=True)
class Pen:
    """What one click places: it stays set, so five glabella points are five clicks."""

    product_name: str
    unit: DoseUnit
    amount: Decimal
    aliquots: int = 1
    depth: Depth | None = None
    technique: Technique | None = None
    gauge: str = ""
    lot_number: str | None = None
    lot_expiry: date | None = None
    lot_package_size: Decimal | None = None  # the lot's vial or syringe size, if known

    def point_at(self, view: View, x: float, y: float, region_code: str) -> ChartedPoint:
        return ChartedPoint(
            view=view,
            x=x,
            y=y,
            region_code=region_code,
            product_name=self.product_name,
            unit=self.unit,
            amount=self.amount,
            aliquots=self.aliquots,
            lot_number=self.lot_number,
            lot_expiry=self.lot_expiry,
            depth=self.depth,
            technique=self.technique,
            gauge=self.gauge,
            lot_package_size=self.lot_package_size,
        )


def mirrored(point: ChartedPoint) -> ChartedPoint | None:
    """The same injection on the other side of the face, or None for a midline point
    (it has no other side: mirroring it would chart a second dose on the same spot).

    On the front view the point is reflected about the midline; a profile point moves to
    the other profile. The region becomes its pair (crows_feet_l -> crows_feet_r).
    """
    if REGIONS[point.region_code].paired_code is None:
        return None
    view = {View.FRONT: View.FRONT, View.LEFT: View.RIGHT, View.RIGHT: View.LEFT}[point.view]
    region = REGIONS[point.region_code]
    return replace(point, view=view, x=round(1 - point.x, 6), region_code=region.paired_code or region.code)
