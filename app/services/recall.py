"""The due list: who is due, for what, and when (rules in models/recall.py).

Which visits count: every visit with charted points, draft or signed. A draft here is a
visit charted but not yet signed, and the treatment it records has been given; an empty
draft records nothing and so counts for nothing. A review visit (kind `review`) counts
with or without points: the patient was seen, so an open review is done.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import and_, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # app.storage.database builds the summary on open: no import cycle at run time
    from app.storage.database import Database
from app.services.audit import record_event
from app.storage.files import csv_bytes
from models.errors import NotFoundError, ValidationError
from models.recall import (
    DueItem,
    DueStatus,
    RecallSettings,
    Seen,
    Treated,
    area_of_region,
    due_items,
    recall_label,
    side_of,
    standing_items,
)
from models.tables import AppMeta, InjectionPoint, Patient, Product, Provider, RecallItem, Visit
from models.vocabulary import VisitKind


@dataclass(frozen=True)
class DueRow:
    chart_number: str
    patient_name: str
    area: str  # the area's name (and side: "Masseter, left"), or "Review after first treatment"
    item: DueItem
    provider_name: str = ""
    phone: str = ""

    def days_overdue(self, today: date) -> int:
        return self.item.days_overdue(today)


SUMMARY_KEY = "recall_summary"  # app_meta: the summary reflects every chart...
# ...as this version of the summary computes it. A marker of another version (or none: the
# downgrade that drops recall_item removes it) means the summary is rebuilt on opening.
# "1" summaries could be empty: the marker outlived its table across a downgrade and upgrade.
# "3": per-side rows of paired areas, reviews per area, enzymes dissolve filler, review visits.
SUMMARY_VERSION = "3"
SETTINGS_KEY = "recall_settings"  # app_meta: the clinic's RecallSettings as JSON


def load_recall_settings(db: Database) -> RecallSettings:
    with db.factory() as session:
        return _settings_in(session)


def save_recall_settings(db: Database, settings: RecallSettings) -> None:
    """Store the clinic's recall settings; a changed review delay rebuilds the summary
    (review rows carry their day)."""
    save_recall_changes(db, {}, settings)


def save_recall_changes(
    db: Database, intervals: dict[str, tuple[int | None, int | None]], settings: RecallSettings
) -> None:
    """Several products' maintenance windows and the clinic's recall settings, stored
    together or not at all, with one refresh of the summary for every patient they move."""
    check_recall_settings(settings)
    for product_name, (minimum, maximum) in intervals.items():
        _check_interval(product_name, minimum, maximum)
    with db.factory.begin() as session:
        moved: set[int] = set()
        for product_name, (minimum, maximum) in intervals.items():
            moved |= _set_interval(session, db.actor, product_name, minimum, maximum)
        before = _settings_in(session)
        session.merge(AppMeta(key=SETTINGS_KEY, value=json.dumps(asdict(settings))))
        session.flush()
        if settings != before:
            record_event(
                session,
                db.actor,
                "update",
                "settings",
                SETTINGS_KEY,
                before=asdict(before),
                after=asdict(settings),
            )
        if settings.review_days != before.review_days:
            refresh_recall(session, db.timezone)
        elif moved:
            refresh_recall(session, db.timezone, moved)


def check_recall_settings(settings: RecallSettings) -> None:
    for name, value, low in (
        ("lead_days", settings.lead_days, 0),
        ("review_days", settings.review_days, 1),
        ("review_expires_days", settings.review_expires_days, 1),
        ("lapsed_after_days", settings.lapsed_after_days, 30),
    ):
        if value is not None and not low <= value <= 3650:
            raise ValidationError(f"{name.replace('_', ' ')} must be between {low} and 3650 days", name)


def update_intervals(db: Database, product_name: str, minimum: int | None, maximum: int | None) -> None:
    """A product's maintenance window (days): every due date of the product follows."""
    _check_interval(product_name, minimum, maximum)
    with db.factory.begin() as session:
        refresh_recall(session, db.timezone, _set_interval(session, db.actor, product_name, minimum, maximum))


def _check_interval(product_name: str, minimum: int | None, maximum: int | None) -> None:
    if (minimum is None) != (maximum is None):
        raise ValidationError("give both ends of the interval, or neither", "interval")
    if minimum is not None and not 1 <= minimum <= maximum <= 3650:
        raise ValidationError(
            f"the interval of {product_name} must run from 1 to 3650 days, the first end before the second",
            "interval",
        )


def _set_interval(
    session: Session, actor: str, product_name: str, minimum: int | None, maximum: int | None
) -> set[int]:
    """Change a product's window in the caller's transaction; the patients whose recall it moves."""
    product = session.scalar(select(Product).where(Product.name == product_name))
    if product is None:
        raise NotFoundError(f"{product_name!r} is not a product in the catalogue")
    before = (product.interval_min_days, product.interval_max_days)
    product.interval_min_days, product.interval_max_days = minimum, maximum
    session.flush()
    patients = set(session.scalars(select(RecallItem.patient_id).where(RecallItem.product_id == product.id)))
    if minimum is not None:  # a product newly given an interval: its patients too
        patients |= set(
            session.scalars(
                select(Visit.patient_id)
                .join(InjectionPoint, InjectionPoint.visit_id == Visit.id)
                .where(InjectionPoint.product_id == product.id)
                .distinct()
            )
        )
    record_event(
        session,
        actor,
        "update",
        "product",
        product.id,
        name=product_name,
        interval_before=list(before),
        interval_after=[minimum, maximum],
    )
    return patients


def _facts(
    session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None, before: datetime | None = None
) -> list[Treated]:
    """Per patient, region and product: the first and last day it was given (SQL groups),
    counting only visits before `before` when given (the charts as they stood then)."""
    last = func.max(Visit.started_at).label("last")
    first = func.min(Visit.started_at).label("first")
    query = (
        select(
            Visit.patient_id,
            InjectionPoint.region_code,
            Product.name,
            Product.kind,
            Product.interval_min_days,
            Product.interval_max_days,
            last,
            first,
        )
        .join(Visit, InjectionPoint.visit_id == Visit.id)
        .join(Product, InjectionPoint.product_id == Product.id)
        .group_by(
            Visit.patient_id,
            InjectionPoint.region_code,
            Product.name,
            Product.kind,
            Product.interval_min_days,
            Product.interval_max_days,
        )
    )
    if patient_ids is not None:
        query = query.where(Visit.patient_id.in_(list(patient_ids)))
    if before is not None:
        query = query.where(Visit.started_at < before)
    region_area = area_of_region()
    facts = []
    for patient_id, region, name, kind, low, high, last_at, first_at in session.execute(query):
        area = region_area[region]
        kind = kind.value if hasattr(kind, "value") else kind
        last_day = _as_aware(last_at).astimezone(zone).date()
        first_day = _as_aware(first_at).astimezone(zone).date()
        side = side_of(region)
        facts.append(Treated(patient_id, last_day, area, name, kind, low, high, side))
        if first_day != last_day:  # the first treatment matters for the review rule
            facts.append(Treated(patient_id, first_day, area, name, kind, low, high, side))
    return facts


def _seen(
    session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None, before: datetime | None = None
) -> list[Seen]:
    """Each patient's last review visit (before `before` when given): seen again, with or
    without injections."""
    query = (
        select(Visit.patient_id, func.max(Visit.started_at))
        .where(Visit.kind == VisitKind.REVIEW)
        .group_by(Visit.patient_id)
    )
    if patient_ids is not None:
        query = query.where(Visit.patient_id.in_(list(patient_ids)))
    if before is not None:
        query = query.where(Visit.started_at < before)
    return [
        Seen(patient_id, _as_aware(at).astimezone(zone).date()) for patient_id, at in session.execute(query)
    ]


def treated_facts(db: Database) -> list[Treated]:
    with db.factory() as session:
        return _facts(session, db.timezone)


def _settings_in(session: Session) -> RecallSettings:
    stored = session.get(AppMeta, SETTINGS_KEY)
    return RecallSettings(**json.loads(stored.value)) if stored is not None else RecallSettings()


def refresh_recall(session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None) -> None:
    """Rebuild the recall summary of these patients (all when None), in the caller's
    transaction: the chart and its recall rows are saved together or not at all."""
    review_days = _settings_in(session).review_days
    ids = None if patient_ids is None else sorted(set(patient_ids))
    delete_rows = delete(RecallItem)
    if ids is not None:
        delete_rows = delete_rows.where(RecallItem.patient_id.in_(ids))
    session.execute(delete_rows)
    product_ids = dict(session.execute(select(Product.name, Product.id)).all())
    providers = _latest_providers(session, ids)
    rows = [
        {
            "patient_id": item.patient_id,
            "area": item.area,
            "side": item.side,
            "product_kind": item.product_kind,
            "product_id": product_ids[item.product_name],
            "provider_id": providers.get(item.patient_id),
            "last_treated": item.last_treated,
            "due_from": item.due_from,
            "due_by": item.due_by,
        }
        for item in standing_items(_facts(session, zone, ids), review_days, _seen(session, zone, ids))
    ]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(RecallItem), rows[start : start + 20_000])
    if ids is None:
        session.merge(AppMeta(key=SUMMARY_KEY, value=SUMMARY_VERSION))


def _latest_providers(session: Session, patient_ids: list[int] | None) -> dict[int, int]:
    """Each patient's injector at their latest charted visit."""
    latest = (
        select(Visit.patient_id, func.max(Visit.started_at).label("at"))
        .where(Visit.points.any())
        .group_by(Visit.patient_id)
    )
    if patient_ids is not None:
        latest = latest.where(Visit.patient_id.in_(patient_ids))
    latest = latest.subquery()
    query = select(Visit.patient_id, Visit.provider_id).join(
        latest, and_(Visit.patient_id == latest.c.patient_id, Visit.started_at == latest.c.at)
    )
    return dict(session.execute(query).all())


def ensure_recall_summary(db: Database) -> None:
    """Build the summary for a database that has none, or a stale one (new, or upgraded);
    a current summary is only read (no write lock)."""
    with db.factory() as session:
        if _summary_is_current(session):
            return
    with db.factory.begin() as session:
        if not _summary_is_current(session):  # another program may have built it meanwhile
            refresh_recall(session, db.timezone)


def _summary_is_current(session: Session) -> bool:
    marker = session.get(AppMeta, SUMMARY_KEY)
    return marker is not None and marker.value == SUMMARY_VERSION


def _as_aware(moment) -> datetime:
    """Aggregates bypass the column type: SQLite hands back naive UTC text or datetimes."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
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


@dataclass(frozen=True)
class DueFilter:
    """What the front desk narrows the list to; empty means everything."""

    statuses: frozenset[DueStatus] = frozenset()
    provider_id: int | None = None
    product_kind: str | None = None
    patient_id: int | None = None


def _summary_query(
    today: date, within_days: int | None, settings: RecallSettings, narrow: DueFilter = DueFilter()
):
    """The due list as SQL over the summary: statuses are date comparisons, so counting
    the whole list is one index-only range scan and a page is a LIMIT."""
    lead_day = today + timedelta(days=settings.lead_days)
    horizon = today + timedelta(days=within_days) if within_days is not None else lead_day
    lapsed_before = (
        today - timedelta(days=settings.lapsed_after_days)
        if settings.lapsed_after_days is not None
        else date.min
    )
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
        or_(
            and_(review, RecallItem.due_from <= lead_day, RecallItem.due_from >= review_from),
            # due and overdue windows opened by today, so "opening by the horizon" holds them
            and_(~review, RecallItem.due_by >= lapsed_before, RecallItem.due_from <= max(horizon, today)),
        ),
    ]
    if settings.review_days is None:
        conditions.append(~review)
    if narrow.provider_id is not None:
        conditions.append(RecallItem.provider_id == narrow.provider_id)
    if narrow.product_kind is not None:
        conditions.append(RecallItem.product_kind == narrow.product_kind)
    if narrow.patient_id is not None:
        conditions.append(RecallItem.patient_id == narrow.patient_id)
    if narrow.statuses:
        conditions.append(status.in_([s.value for s in narrow.statuses]))
    return conditions, status, urgency


def due_page(
    db: Database,
    today: date,
    within_days: int | None = None,
    settings: RecallSettings | None = None,
    limit: int | None = 500,
    offset: int = 0,
    narrow: DueFilter = DueFilter(),
) -> DuePage:
    """Today's (or a later day's) due list from the recall summary."""
    settings = settings or load_recall_settings(db)
    conditions, status, urgency = _summary_query(today, within_days, settings, narrow)
    with db.factory() as session:
        counts = {
            DueStatus(value): n
            for value, n in session.execute(select(status, func.count()).where(*conditions).group_by(status))
        }
        ordered = (
            select(RecallItem.id, status)
            .where(*conditions)
            .order_by(urgency, RecallItem.due_from, RecallItem.patient_id, RecallItem.area, RecallItem.side)
        )
        if limit is not None:
            ordered = ordered.limit(limit).offset(offset)
        page = session.execute(ordered).all()
        details = {}
        for start in range(0, len(page), 20_000):  # names for this page only
            chunk = [item_id for item_id, _ in page[start : start + 20_000]]
            details.update(
                {
                    item.id: (item, product, chart, given, family, phone)
                    for item, product, chart, given, family, phone in session.execute(
                        select(
                            RecallItem,
                            Product.name,
                            Patient.chart_number,
                            Patient.given_name,
                            Patient.family_name,
                            Patient.phone,
                        )
                        .join(Product, RecallItem.product_id == Product.id)
                        .join(Patient, RecallItem.patient_id == Patient.id)
                        .where(RecallItem.id.in_(chunk))
                    )
                }
            )
        provider_names = dict(session.execute(select(Provider.id, Provider.display_name)).all())
    rows = []
    for item_id, state in page:
        item, product, chart, given, family, phone = details[item_id]
        due = DueItem(
            item.patient_id,
            item.area,
            product,
            item.product_kind,
            item.last_treated,
            item.due_from,
            item.due_by,
            DueStatus(state),
            item.side,
        )
        rows.append(
            DueRow(
                chart,
                f"{given} {family}",
                recall_label(item.area, item.side),
                due,
                provider_names.get(item.provider_id, ""),
                phone or "",
            )
        )
    return DuePage(counts, rows)


def due_patients(
    db: Database,
    today: date,
    within_days: int | None = None,
    settings: RecallSettings | None = None,
    narrow: DueFilter = DueFilter(),
) -> int:
    """How many patients the due list of `due_page` names (a patient may be due for several
    areas): a query of its own, so that the list's first page never waits for it."""
    settings = settings or load_recall_settings(db)
    conditions, _status, _urgency = _summary_query(today, within_days, settings, narrow)
    with db.factory() as session:
        return session.scalar(select(func.count(RecallItem.patient_id.distinct())).where(*conditions)) or 0


def due_list(
    db: Database, today: date, within_days: int | None = None, settings: RecallSettings | None = None
) -> list[DueRow]:
    """The whole due list: overdue, due and review rows always; then windows opening within
    `within_days` of today, or by default those "due soon" (the settings' lead).

    Today and later read the recall summary; a day in the past is recomputed from the
    charts as they stood then (slower, exact)."""
    settings = settings or load_recall_settings(db)
    if today >= datetime.now(db.timezone).date():
        return due_page(db, today, within_days, settings, limit=None).rows
    end_of_day = datetime.combine(today + timedelta(days=1), time(0), db.timezone)
    with db.factory() as session:
        facts = _facts(session, db.timezone, before=end_of_day)
        seen = _seen(session, db.timezone, before=end_of_day)
        archived = set(session.scalars(select(Patient.id).where(Patient.archived.is_(True))))
    items = [i for i in due_items(facts, today, settings, seen) if i.patient_id not in archived]
    urgent = {DueStatus.OVERDUE, DueStatus.DUE, DueStatus.REVIEW}
    if within_days is None:
        chosen = [i for i in items if i.status is not DueStatus.NOT_DUE]
    else:
        limit = today + timedelta(days=within_days)
        chosen = [i for i in items if i.status in urgent or i.due_from <= limit]
    with db.factory() as session:
        patients = {
            p.id: p
            for p in session.scalars(select(Patient).where(Patient.id.in_({i.patient_id for i in chosen})))
        }
    return [
        DueRow(
            patients[i.patient_id].chart_number,
            f"{patients[i.patient_id].given_name} {patients[i.patient_id].family_name}",
            recall_label(i.area, i.side),
            i,
            phone=patients[i.patient_id].phone or "",
        )
        for i in chosen
    ]


def patients_in(rows: Iterable[DueRow]) -> int:
    """How many patients a due list names (a patient may be due for several areas)."""
    return len({row.item.patient_id for row in rows})


def describe_counts(rows: list[DueRow], after: str = "") -> str:
    """'3 recalls (2 patients)'; `after` goes after the recalls ('3 recalls as of … (2 patients)')."""
    patients = patients_in(rows)
    return (
        f"{len(rows)} recall{'s' if len(rows) != 1 else ''}{after}"
        f" ({patients} patient{'s' if patients != 1 else ''})"
    )


COLUMNS = [
    "chart_number",
    "patient",
    "phone",
    "area",
    "product",
    "last_treated",
    "due_from",
    "due_by",
    "status",
    "days_overdue",
]


def row_values(row: DueRow, today: date) -> list:
    item = row.item
    return [
        row.chart_number,
        row.patient_name,
        row.phone,
        row.area,
        item.product_name,
        item.last_treated.isoformat(),
        item.due_from.isoformat(),
        item.due_by.isoformat(),
        item.status.value,
        row.days_overdue(today),
    ]


def to_csv(rows: list[DueRow], today: date) -> bytes:
    """For a spreadsheet: formula-safe, UTF-8 with a byte-order mark (app.storage.files.csv_bytes)."""
    return csv_bytes(COLUMNS, (row_values(row, today) for row in rows))


def to_ics(rows: list[DueRow], today: date, clinic: str = "Aliquot", names: bool = True) -> bytes:
    """One all-day event per recall on its due-from day, for a clinic calendar (RFC 5545).

    Without `names`, a title says the chart number only (a calendar others can see)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Aliquot//recall list//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{clinic} recalls")
    stamp = datetime.combine(today, time(0, 0)).astimezone()
    for row in rows:
        item = row.item
        event = icalendar.Event()
        area = f"{item.area}-{item.side}" if item.side else item.area or "review"
        event.add(
            "uid",
            f"{row.chart_number}-{area}-{item.product_name}-{item.due_from.isoformat()}@aliquot".replace(
                " ", "_"
            ),
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_from)
        event.add("dtend", item.due_from + timedelta(days=1))
        who = f"{row.patient_name} ({row.chart_number})" if names else row.chart_number
        event.add("summary", f"Recall {who}: {row.area}")
        event.add(
            "description",
            f"{item.product_name}, last treated {item.last_treated.isoformat()};"
            f" due {item.due_from.isoformat()} to {item.due_by.isoformat()};"
            f" {item.status.value}",
        )
        calendar.add_component(event)
    return calendar.to_ical()


def patient_due(db: Database, patient_id: int, today: date) -> list[DueRow]:
    """One patient's next due date for every treated area (the patient page, the editor)."""
    settings = replace(load_recall_settings(db), lapsed_after_days=None)
    return due_page(
        db, today, within_days=3650, settings=settings, limit=None, narrow=DueFilter(patient_id=patient_id)
    ).rows


def describe_due(rows: list[DueRow]) -> str:
    """'Glabella (frown lines): due 2026-12-01 (due soon); Cheeks: 2027-05-01'."""
    parts = []
    for row in sorted(rows, key=lambda r: r.item.due_from):
        item = row.item
        when = item.due_from.isoformat()
        state = "" if item.status is DueStatus.NOT_DUE else f" ({item.status.value})"
        parts.append(f"{row.area}: {item.product_name} from {when}{state}")
    return "; ".join(parts)
