"""Maintenance and recall: when each treated area of each patient is due again.

Pure rules: no database, no clock of their own (today is passed in). A due window runs
from the last treatment of an area with a product kind: it opens at the product's
minimum interval and is overdue after its maximum. A later treatment of the same area
and kind supersedes an earlier one. Hyaluronidase (no interval) never makes a due date.
A first treatment with a product is reviewed about two weeks later, until the patient
has been seen again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import resources
from models.regions import REGIONS

AREAS_FILE = "areas.json"


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    regions: tuple[str, ...]


@cache
def areas() -> dict[str, Area]:
    with resources.path(AREAS_FILE).open(encoding="utf-8") as handle:
        data = json.load(handle)
    return {a["key"]: Area(a["key"], a["name"], tuple(a["regions"])) for a in data["areas"]}


@cache
def area_of_region() -> dict[str, str]:
    mapping = {}
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

    def days_overdue(self, today: date) -> int:
        return max(0, (today - self.due_by).days)


def status_on(today: date, due_from: date, due_by: date, lead_days: int) -> DueStatus:
    if today > due_by:
        return DueStatus.OVERDUE
    if today >= due_from:
        return DueStatus.DUE
    if today >= due_from - timedelta(days=lead_days):
        return DueStatus.DUE_SOON
    return DueStatus.NOT_DUE


def standing_items(treated: Iterable[Treated], review_days: int | None = 14) -> list[DueItem]:
    """The due windows and open reviews that follow from these treatments, whatever the
    day: what the recall summary stores (statuses are given later, by `classify`)."""
    latest: dict[tuple[int, str, str], Treated] = {}
    first_with_product: dict[tuple[int, str], Treated] = {}
    last_visit: dict[int, date] = {}
    for t in treated:
        key = (t.patient_id, t.area, t.product_kind)
        current = latest.get(key)
        # A later treatment supersedes; on one day, the product due again soonest wins.
        if (current is None or t.visit_day > current.visit_day
                or (t.visit_day == current.visit_day
                    and (t.interval_min_days or 10**6) < (current.interval_min_days or 10**6))):
            latest[key] = t
        product_key = (t.patient_id, t.product_name)
        if product_key not in first_with_product or t.visit_day < first_with_product[product_key].visit_day:
            first_with_product[product_key] = t
        last_visit[t.patient_id] = max(last_visit.get(t.patient_id, t.visit_day), t.visit_day)

    items = []
    for t in latest.values():
        if t.interval_min_days is None or t.interval_max_days is None:
            continue  # hyaluronidase and other products without maintenance
        items.append(DueItem(t.patient_id, t.area, t.product_name, t.product_kind, t.visit_day,
                             t.visit_day + timedelta(days=t.interval_min_days),
                             t.visit_day + timedelta(days=t.interval_max_days), DueStatus.NOT_DUE))
    if review_days is not None:
        for (patient_id, product_name), first in first_with_product.items():
            if last_visit[patient_id] > first.visit_day:
                continue  # seen again since: the review happened (or was overtaken)
            review_on = first.visit_day + timedelta(days=review_days)
            items.append(DueItem(patient_id, "", product_name, first.product_kind, first.visit_day,
                                 review_on, review_on, DueStatus.REVIEW))
    return items


_URGENCY = {DueStatus.OVERDUE: 0, DueStatus.REVIEW: 1, DueStatus.DUE: 2, DueStatus.DUE_SOON: 3,
            DueStatus.NOT_DUE: 4}


def classify(items: Iterable[DueItem], today: date,
             settings: RecallSettings = RecallSettings()) -> list[DueItem]:
    """Statuses as of `today`, most urgent first. Reviews show from `lead_days` before
    their day until `review_expires_days` after; lapsed patients are left out."""
    result = []
    lapsed_before = (today - timedelta(days=settings.lapsed_after_days)
                     if settings.lapsed_after_days is not None else None)
    for item in items:
        if item.status is DueStatus.REVIEW:
            if (today < item.due_from - timedelta(days=settings.lead_days)
                    or today > item.due_from + timedelta(days=settings.review_expires_days)):
                continue
            result.append(item)
            continue
        if lapsed_before is not None and item.due_by < lapsed_before:
            continue
        result.append(replace(item, status=status_on(today, item.due_from, item.due_by,
                                                     settings.lead_days)))
    return sorted(result, key=lambda i: (_URGENCY[i.status], i.due_from, i.patient_id, i.area))


def due_items(treated: Iterable[Treated], today: date,
              settings: RecallSettings = RecallSettings()) -> list[DueItem]:
    """Every patient's due windows and reviews as of `today`, most urgent first.

    Treatments after `today` are ignored (a date in the past is asked about as it was).
    """
    past = [t for t in treated if t.visit_day <= today]
    return classify(standing_items(past, settings.review_days), today, settings)
