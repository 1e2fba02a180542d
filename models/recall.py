"""Maintenance and recall: when each treated area of each patient is due again.

Pure rules: no database, no clock of their own (today is passed in). A due window runs
from the last treatment of an area with a product kind: it opens at the product's
minimum interval and is overdue after its maximum. A later treatment of the same area
and kind supersedes an earlier one. In a paired area (masseters, crow's feet: every
region has a side) each side is recalled on its own: treating one masseter leaves the
other's window as it was; both sides treated alike make one row.

Hyaluronidase and every enzyme (no interval) never make a due date nor a review, and
dissolving filler with it in an area (and side) on or after the filler's day closes that
area's filler recall. The first treatment of an area with a product kind is reviewed
about two weeks later, until the patient has been seen again: a later visit with points,
or a review visit with none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache, cached_property
from typing import Any

import resources
from models.regions import REGIONS
from models.vocabulary import ProductKind, Side

AREAS_FILE = "areas.json"


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    regions: tuple[str, ...]
    side_name: str = ""  # one side of a paired area: "Masseter" ("Masseter, left")

    @cached_property
    def paired(self) -> bool:
        """Every region has a side: each side is recalled on its own."""
        return all(REGIONS[code].side is not Side.MIDLINE for code in self.regions)

    def label(self, side: str = "") -> str:
        """'Masseters'; one side: 'Masseter, left'."""
        return f"{self.side_name or self.name}, {side}" if side else self.name


@cache
def areas() -> dict[str, Area]:
    with resources.path(AREAS_FILE).open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {
        a["key"]: Area(a["key"], a["name"], tuple(a["regions"]), a.get("side_name", ""))
        for a in data["areas"]
    }


REVIEW_LABEL = "Review after first treatment"


def recall_label(area: str, side: str = "") -> str:
    """How a recall row names what is due: the area (and side), or the review."""
    return areas()[area].label(side) if area else REVIEW_LABEL


@cache
def side_of(region_code: str) -> str:
    """The side a region is recalled by: "left"/"right" in a paired area, else ""."""
    if not areas()[area_of_region()[region_code]].paired:
        return ""
    return REGIONS[region_code].side.value


@cache
def area_of_region() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for area in areas().values():
        for code in area.regions:
            if code in mapping:
                raise ValueError(f"region {code} is in two areas: {mapping[code]} and {area.key}")
            if code not in REGIONS:
                raise ValueError(f"area {area.key} names an unknown region {code}")
            mapping[code] = area.key
    return mapping


class DueStatus(StrEnum):
    NOT_DUE = "not due"
    DUE_SOON = "due soon"
    DUE = "due"
    OVERDUE = "overdue"
    REVIEW = "review"


@dataclass(frozen=True)
class RecallSettings:
    lead_days: int = 14  # "due soon" this many days before the window opens
    review_days: int | None = 14  # None: no review after a first treatment
    review_expires_days: int = 60  # a review not done by then is no longer listed
    # Overdue for longer than this, a patient has lapsed and leaves the recall list
    # (None keeps everyone, however long ago).
    lapsed_after_days: int | None = 365


@dataclass(frozen=True)
class Treated:
    """One product given in one area at one visit (the facts the rules need)."""

    patient_id: int
    visit_day: date  # the clinic's calendar day of the visit
    area: str
    product_name: str
    product_kind: str
    interval_min_days: int | None
    interval_max_days: int | None
    side: str = ""  # "left"/"right" in a paired area; "" for the whole area


@dataclass(frozen=True)
class Seen:
    """A visit that saw the patient without treating them (a review visit)."""

    patient_id: int
    visit_day: date


@dataclass(frozen=True)
class DueItem:
    patient_id: int
    area: str  # an area key; "" for a review
    product_name: str
    product_kind: str
    last_treated: date
    due_from: date
    due_by: date
    status: DueStatus
    side: str = ""  # one side of a paired area; "" for the whole area (or a review)

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_by).days)


DueTest = Callable[[Any, Any], Any]
"""A test of a window's (due_from, due_by): Python dates give a bool, SQL columns a clause."""


def due_status_tests(today: date, lead_days: int) -> tuple[tuple[DueStatus, DueTest], ...]:
    """The one definition of the due statuses of a maintenance window as of `today`: the
    first test that holds gives the status, none holding means not due. Written with
    comparisons only, so that the same tests build the SQL of the due list (over the
    recall summary's columns) and classify dates in Python (a past day, the rules' tests)."""
    lead_day = today + timedelta(days=lead_days)
    return (
        (DueStatus.OVERDUE, lambda due_from, due_by: due_by < today),
        (DueStatus.DUE, lambda due_from, due_by: due_from <= today),
        (DueStatus.DUE_SOON, lambda due_from, due_by: due_from <= lead_day),
    )


def status_on(today: date, due_from: date, due_by: date, lead_days: int) -> DueStatus:
    return _status_by(due_status_tests(today, lead_days), due_from, due_by)


def _status_by(tests: tuple[tuple[DueStatus, DueTest], ...], due_from: date, due_by: date) -> DueStatus:
    for status, test in tests:
        if test(due_from, due_by):
            return status
    return DueStatus.NOT_DUE


def _sides(t: Treated) -> tuple[str, ...]:
    """The sides a treatment counts for: a paired area's side (both when not given)."""
    if not areas()[t.area].paired:
        return ("",)
    return (t.side,) if t.side else (Side.LEFT.value, Side.RIGHT.value)


def _supersedes(t: Treated, current: Treated | None) -> bool:
    """A later treatment supersedes; on one day, the product due again soonest wins."""
    return (
        current is None
        or t.visit_day > current.visit_day
        or (
            t.visit_day == current.visit_day
            and (t.interval_min_days or 10**6) < (current.interval_min_days or 10**6)
        )
    )


def _maintained(t: Treated) -> bool:
    return (
        t.product_kind != ProductKind.ENZYME
        and t.interval_min_days is not None
        and t.interval_max_days is not None
    )


def standing_items(
    treated: Iterable[Treated], review_days: int | None = 14, seen: Iterable[Seen] = ()
) -> list[DueItem]:
    """The due windows and open reviews that follow from these treatments (and review
    visits), whatever the day: what the recall summary stores (statuses are given later,
    by `classify`)."""
    treated = list(treated)
    latest: dict[tuple[int, str, str, str], Treated] = {}  # patient, area, side, kind
    dissolved: dict[tuple[int, str, str], date] = {}  # patient, area, side: last enzyme day
    first_of_area: dict[tuple[int, str, str], date] = {}  # patient, area, kind
    last_seen: dict[int, date] = {}
    for t in treated:
        last_seen[t.patient_id] = max(last_seen.get(t.patient_id, t.visit_day), t.visit_day)
        if t.product_kind == ProductKind.ENZYME:
            for side in _sides(t):
                where = (t.patient_id, t.area, side)
                dissolved[where] = max(dissolved.get(where, t.visit_day), t.visit_day)
            continue
        area_key = (t.patient_id, t.area, t.product_kind)
        first_of_area[area_key] = min(first_of_area.get(area_key, t.visit_day), t.visit_day)
        for side in _sides(t):
            key = (t.patient_id, t.area, side, t.product_kind)
            if _supersedes(t, latest.get(key)):
                latest[key] = t
    for visit in seen:
        last_seen[visit.patient_id] = max(last_seen.get(visit.patient_id, visit.visit_day), visit.visit_day)

    by_area: dict[tuple[int, str, str], dict[str, Treated]] = {}
    for (patient_id, area, side, kind), t in latest.items():
        if not _maintained(t):
            continue  # products without maintenance
        if kind == ProductKind.FILLER and dissolved.get((patient_id, area, side), date.min) >= t.visit_day:
            continue  # dissolved with hyaluronidase since: nothing left to maintain
        by_area.setdefault((patient_id, area, kind), {})[side] = t
    items = []
    for by_side in by_area.values():
        left, right = by_side.get(Side.LEFT.value), by_side.get(Side.RIGHT.value)
        if (
            left is not None
            and right is not None
            and left.visit_day == right.visit_day
            and left.product_name == right.product_name
        ):
            by_side = {"": left}  # both sides alike: one row for the area
        for side, t in by_side.items():
            assert t.interval_min_days is not None and t.interval_max_days is not None  # maintained
            items.append(
                DueItem(
                    t.patient_id,
                    t.area,
                    t.product_name,
                    t.product_kind,
                    t.visit_day,
                    t.visit_day + timedelta(days=t.interval_min_days),
                    t.visit_day + timedelta(days=t.interval_max_days),
                    DueStatus.NOT_DUE,
                    side,
                )
            )
    if review_days is not None:
        # Only the last day the patient was seen can leave a review open: any later visit
        # (with points, or a review) is the review. One row per product first given to an area.
        reviews: dict[tuple[int, str], Treated] = {}
        for t in treated:
            if (
                _maintained(t)
                and t.visit_day == last_seen[t.patient_id]
                and first_of_area[(t.patient_id, t.area, t.product_kind)] == t.visit_day
            ):
                reviews.setdefault((t.patient_id, t.product_name), t)
        for (patient_id, product_name), first in reviews.items():
            review_on = first.visit_day + timedelta(days=review_days)
            items.append(
                DueItem(
                    patient_id,
                    "",
                    product_name,
                    first.product_kind,
                    first.visit_day,
                    review_on,
                    review_on,
                    DueStatus.REVIEW,
                )
            )
    return items


_URGENCY = {
    DueStatus.OVERDUE: 0,
    DueStatus.REVIEW: 1,
    DueStatus.DUE: 2,
    DueStatus.DUE_SOON: 3,
    DueStatus.NOT_DUE: 4,
}


def classify(
    items: Iterable[DueItem], today: date, settings: RecallSettings = RecallSettings()
) -> list[DueItem]:
    """Statuses as of `today`, most urgent first. Reviews show from `lead_days` before
    their day until `review_expires_days` after; lapsed patients are left out."""
    result = []
    tests = due_status_tests(today, settings.lead_days)
    lapsed_before = (
        today - timedelta(days=settings.lapsed_after_days) if settings.lapsed_after_days is not None else None
    )
    for item in items:
        if item.status is DueStatus.REVIEW:
            if today < item.due_from - timedelta(
                days=settings.lead_days
            ) or today > item.due_from + timedelta(days=settings.review_expires_days):
                continue
            result.append(item)
            continue
        if lapsed_before is not None and item.due_by < lapsed_before:
            continue
        result.append(replace(item, status=_status_by(tests, item.due_from, item.due_by)))
    return sorted(result, key=lambda i: (_URGENCY[i.status], i.due_from, i.patient_id, i.area, i.side))


def due_items(
    treated: Iterable[Treated],
    today: date,
    settings: RecallSettings = RecallSettings(),
    seen: Iterable[Seen] = (),
) -> list[DueItem]:
    """Every patient's due windows and reviews as of `today`, most urgent first.

    Treatments and review visits after `today` are ignored (a date in the past is asked
    about as it was).
    """
    past = [t for t in treated if t.visit_day <= today]
    return classify(
        standing_items(past, settings.review_days, [v for v in seen if v.visit_day <= today]), today, settings
    )


def next_due_lines(items: Iterable[DueItem]) -> list[str]:
    """A visit's next-due dates as its record prints them, soonest first:
    "Glabella (frown lines): Botox Cosmetic from 2027-03-01 to 2027-04-01"."""
    lines = []
    for item in sorted(items, key=lambda i: (i.due_from, i.area, i.side, i.product_name)):
        if item.status is DueStatus.REVIEW:
            lines.append(f"{REVIEW_LABEL}: {item.product_name} on {item.due_from.isoformat()}")
        else:
            lines.append(
                f"{recall_label(item.area, item.side)}: {item.product_name}"
                f" from {item.due_from.isoformat()} to {item.due_by.isoformat()}"
            )
    return lines
