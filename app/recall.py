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
from sqlalchemy import func, select

from app.database import Database
from models.recall import DueItem, DueStatus, RecallSettings, Treated, area_of_region, areas, due_items
from models.tables import InjectionPoint, Patient, Product, Visit


@dataclass(frozen=True)
class DueRow:
    chart_number: str
    patient_name: str
    area: str  # the area's name, or "Review after first treatment"
    item: DueItem

    def days_overdue(self, today: date) -> int:
        return self.item.days_overdue(today)


def treated_facts(db: Database) -> list[Treated]:
    """The last day each patient had each product in each region (SQL does the grouping)."""
    zone = db.timezone
    last = func.max(Visit.started_at).label("last")
    first = func.min(Visit.started_at).label("first")
    query = (
        select(Visit.patient_id, InjectionPoint.region_code, Product.name, Product.kind,
               Product.interval_min_days, Product.interval_max_days, last, first)
        .join(Visit, InjectionPoint.visit_id == Visit.id)
        .join(Product, InjectionPoint.product_id == Product.id)
        .join(Patient, Visit.patient_id == Patient.id)
        .where(Patient.archived.is_(False))
        .group_by(Visit.patient_id, InjectionPoint.region_code, Product.name, Product.kind,
                  Product.interval_min_days, Product.interval_max_days)
    )
    region_area = area_of_region()
    facts = []
    with db.factory() as session:
        for patient_id, region, name, kind, low, high, last_at, first_at in session.execute(query):
            area = region_area[region]
            kind = kind.value if hasattr(kind, "value") else kind
            last_day = _as_aware(last_at).astimezone(zone).date()
            first_day = _as_aware(first_at).astimezone(zone).date()
            facts.append(Treated(patient_id, last_day, area, name, kind, low, high))
            if first_day != last_day:  # the first treatment matters for the review rule
                facts.append(Treated(patient_id, first_day, area, name, kind, low, high))
    return facts


def _as_aware(moment) -> datetime:
    """Aggregates bypass the column type: SQLite hands back naive UTC text or datetimes."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def due_list(db: Database, today: date, within_days: int | None = None,
             settings: RecallSettings = RecallSettings()) -> list[DueRow]:
    """What needs a recall: overdue, due and review rows always; then windows opening
    within `within_days` of today, or by default those "due soon" (the settings' lead)."""
    items = due_items(treated_facts(db), today, settings)
    urgent = {DueStatus.OVERDUE, DueStatus.DUE, DueStatus.REVIEW}
    if within_days is None:
        chosen = [i for i in items if i.status is not DueStatus.NOT_DUE]
    else:
        horizon = today + timedelta(days=within_days)
        chosen = [i for i in items if i.status in urgent or i.due_from <= horizon]
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
