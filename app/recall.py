"""The due list: who is due, for what, and when (rules in models/recall.py).

Which visits count: every visit with charted points, draft or signed. A draft here is a
visit charted but not yet signed, and the treatment it records has been given; an empty
draft records nothing and so counts for nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import icalendar
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # app.database builds the summary on open: no import cycle at run time
    from app.database import Database
from models.recall import (
    DueItem,
    DueStatus,
    RecallSettings,
    Treated,
    area_of_region,
    areas,
    due_items,
    standing_items,
)
from models.tables import AppMeta, InjectionPoint, Patient, Product, RecallItem, Visit


@dataclass(frozen=True)
class DueRow:
    chart_number: str
    patient_name: str
    area: str  # the area's name, or "Review after first treatment"
    item: DueItem

    def days_overdue(self, today: date) -> int:
        return self.item.days_overdue(today)


SUMMARY_KEY = "recall_summary"  # app_meta: the summary reflects every chart


def _facts(session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None) -> list[Treated]:
    """Per patient, region and product: the first and last day it was given (SQL groups)."""
    last = func.max(Visit.started_at).label("last")
    first = func.min(Visit.started_at).label("first")
    query = (
        select(Visit.patient_id, InjectionPoint.region_code, Product.name, Product.kind,
               Product.interval_min_days, Product.interval_max_days, last, first)
        .join(Visit, InjectionPoint.visit_id == Visit.id)
        .join(Product, InjectionPoint.product_id == Product.id)
        .group_by(Visit.patient_id, InjectionPoint.region_code, Product.name, Product.kind,
                  Product.interval_min_days, Product.interval_max_days)
    )
    if patient_ids is not None:
        query = query.where(Visit.patient_id.in_(list(patient_ids)))
    region_area = area_of_region()
    facts = []
    for patient_id, region, name, kind, low, high, last_at, first_at in session.execute(query):
        area = region_area[region]
        kind = kind.value if hasattr(kind, "value") else kind
        last_day = _as_aware(last_at).astimezone(zone).date()
        first_day = _as_aware(first_at).astimezone(zone).date()
        facts.append(Treated(patient_id, last_day, area, name, kind, low, high))
        if first_day != last_day:  # the first treatment matters for the review rule
            facts.append(Treated(patient_id, first_day, area, name, kind, low, high))
    return facts


def treated_facts(db: Database) -> list[Treated]:
    with db.factory() as session:
        return _facts(session, db.timezone)


def refresh_recall(session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None,
                   review_days: int | None = RecallSettings().review_days) -> None:
    """Rebuild the recall summary of these patients (all when None), in the caller's
    transaction: the chart and its recall rows are saved together or not at all."""
    ids = None if patient_ids is None else sorted(set(patient_ids))
    delete_rows = delete(RecallItem)
    if ids is not None:
        delete_rows = delete_rows.where(RecallItem.patient_id.in_(ids))
    session.execute(delete_rows)
    product_ids = dict(session.execute(select(Product.name, Product.id)).all())
    rows = [{"patient_id": item.patient_id, "area": item.area, "product_kind": item.product_kind,
             "product_id": product_ids[item.product_name], "last_treated": item.last_treated,
             "due_from": item.due_from, "due_by": item.due_by}
            for item in standing_items(_facts(session, zone, ids), review_days)]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(RecallItem), rows[start:start + 20_000])
    if ids is None:
        session.merge(AppMeta(key=SUMMARY_KEY, value="1"))


def ensure_recall_summary(db: Database) -> None:
    """Build the summary once for a database that has none yet (new, or upgraded)."""
    with db.factory.begin() as session:
        if session.get(AppMeta, SUMMARY_KEY) is None:
            refresh_recall(session, db.timezone)


def _as_aware(moment) -> datetime:
    """Aggregates bypass the column type: SQLite hands back naive UTC text or datetimes."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


@dataclass(frozen=True)
class DuePage:
    """One page of the due list, most urgent first, with the counts of the whole list."""

    counts: dict[DueStatus, int]
    rows: list[DueRow]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_ORDER = [DueStatus.OVERDUE, DueStatus.REVIEW, DueStatus.DUE, DueStatus.DUE_SOON, DueStatus.NOT_DUE]


def _summary_query(today: date, within_days: int | None, settings: RecallSettings):
    """The due list as SQL over the summary: statuses are date comparisons, so counting
    the whole list is one index-only range scan and a page is a LIMIT."""
    lead_day = today + timedelta(days=settings.lead_days)
    horizon = today + timedelta(days=within_days) if within_days is not None else lead_day
    lapsed_before = (today - timedelta(days=settings.lapsed_after_days)
                     if settings.lapsed_after_days is not None else date.min)
    review_from = today - timedelta(days=settings.review_expires_days)
    review = RecallItem.area == ""
    status = case(
        (review, DueStatus.REVIEW.value),
        (RecallItem.due_by < today, DueStatus.OVERDUE.value),
        (RecallItem.due_from <= today, DueStatus.DUE.value),
        (RecallItem.due_from <= lead_day, DueStatus.DUE_SOON.value),
        else_=DueStatus.NOT_DUE.value,
    ).label("status")
    urgency = case({s.value: n for n, s in enumerate(_ORDER)}, value=status)
    conditions = [
        RecallItem.due_by >= min(lapsed_before, review_from),  # the indexed range
        RecallItem.due_from <= max(horizon, lead_day),
        RecallItem.patient_id.not_in(select(Patient.id).where(Patient.archived.is_(True))),
        or_(and_(review, RecallItem.due_from <= lead_day, RecallItem.due_from >= review_from),
            # due and overdue windows opened by today, so "opening by the horizon" holds them
            and_(~review, RecallItem.due_by >= lapsed_before, RecallItem.due_from <= max(horizon, today))),
    ]
    if settings.review_days is None:
        conditions.append(~review)
    return conditions, status, urgency


def due_page(db: Database, today: date, within_days: int | None = None,
             settings: RecallSettings = RecallSettings(), limit: int | None = 500,
             offset: int = 0) -> DuePage:
    """Today's (or a later day's) due list from the recall summary."""
    conditions, status, urgency = _summary_query(today, within_days, settings)
    names = areas()
    with db.factory() as session:
        counts = {DueStatus(value): n for value, n in session.execute(
            select(status, func.count()).where(*conditions).group_by(status))}
        ordered = (select(RecallItem.id, status).where(*conditions)
                   .order_by(urgency, RecallItem.due_from, RecallItem.patient_id, RecallItem.area))
        if limit is not None:
            ordered = ordered.limit(limit).offset(offset)
        page = session.execute(ordered).all()
        details = {}
        for start in range(0, len(page), 20_000):  # names for this page only
            chunk = [item_id for item_id, _ in page[start:start + 20_000]]
            details.update({item.id: (item, product, chart, given, family) for
                            item, product, chart, given, family in session.execute(
                                select(RecallItem, Product.name, Patient.chart_number,
                                       Patient.given_name, Patient.family_name)
                                .join(Product, RecallItem.product_id == Product.id)
                                .join(Patient, RecallItem.patient_id == Patient.id)
                                .where(RecallItem.id.in_(chunk)))})
    rows = []
    for item_id, state in page:
        item, product, chart, given, family = details[item_id]
        due = DueItem(item.patient_id, item.area, product, item.product_kind, item.last_treated,
                      item.due_from, item.due_by, DueStatus(state))
        rows.append(DueRow(chart, f"{given} {family}",
                           names[item.area].name if item.area else "Review after first treatment", due))
    return DuePage(counts, rows)


def due_list(db: Database, today: date, within_days: int | None = None,
             settings: RecallSettings = RecallSettings()) -> list[DueRow]:
    """The whole due list: overdue, due and review rows always; then windows opening within
    `within_days` of today, or by default those "due soon" (the settings' lead).

    Today and later read the recall summary; a day in the past is recomputed from the
    charts as they stood then (slower, exact)."""
    if today >= datetime.now(db.timezone).date():
        return due_page(db, today, within_days, settings, limit=None).rows
    with db.factory() as session:
        facts = [f for f in _facts(session, db.timezone) if f.visit_day <= today]
        archived = set(session.scalars(select(Patient.id).where(Patient.archived.is_(True))))
    items = [i for i in due_items(facts, today, settings) if i.patient_id not in archived]
    urgent = {DueStatus.OVERDUE, DueStatus.DUE, DueStatus.REVIEW}
    if within_days is None:
        chosen = [i for i in items if i.status is not DueStatus.NOT_DUE]
    else:
        limit = today + timedelta(days=within_days)
        chosen = [i for i in items if i.status in urgent or i.due_from <= limit]
    names = areas()
    with db.factory() as session:
        patients = {p.id: p for p in session.scalars(
            select(Patient).where(Patient.id.in_({i.patient_id for i in chosen})))}
    return [DueRow(patients[i.patient_id].chart_number,
                   f"{patients[i.patient_id].given_name} {patients[i.patient_id].family_name}",
                   names[i.area].name if i.area else "Review after first treatment", i)
            for i in chosen]


COLUMNS = ["chart_number", "patient", "area", "product", "last_treated", "due_from", "due_by",
           "status", "days_overdue"]


def row_values(row: DueRow, today: date) -> list:
    item = row.item
    return [row.chart_number, row.patient_name, row.area, item.product_name,
            item.last_treated.isoformat(), item.due_from.isoformat(), item.due_by.isoformat(),
            item.status.value, row.days_overdue(today)]


def to_csv(rows: list[DueRow], today: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row_values(row, today))
    return out.getvalue()


def to_ics(rows: list[DueRow], today: date, clinic: str = "Aliquot") -> bytes:
    """One all-day event per recall on its due-from day, for a clinic calendar (RFC 5545)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Aliquot//recall list//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{clinic} recalls")
    stamp = datetime.combine(today, time(0, 0)).astimezone()
    for row in rows:
        item = row.item
        event = icalendar.Event()
        event.add("uid", f"{row.chart_number}-{item.area or 'review'}-{item.product_name}-"
                         f"{item.due_from.isoformat()}@aliquot".replace(" ", "_"))
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_from)
        event.add("dtend", item.due_from + timedelta(days=1))
        event.add("summary", f"Recall {row.patient_name} ({row.chart_number}): {row.area}")
        event.add("description", f"{item.product_name}, last treated {item.last_treated.isoformat()};"
                                 f" due {item.due_from.isoformat()} to {item.due_by.isoformat()};"
                                 f" {item.status.value}")
        calendar.add_component(event)
    return calendar.to_ical()
