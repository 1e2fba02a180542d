"""The due list: who is due, for what, and when (rules in models/recall.py; the summary
it reads is kept in app/services/summary.py).

Which visits count: every visit with charted points, draft or signed. A draft here is a
visit charted but not yet signed, and the treatment it records has been given; an empty
draft records nothing and so counts for nothing. A review visit (kind `review`) counts
with or without points: the patient was seen, so an open review is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, String, and_, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import Changes, note
from app.services.settings import check_recall_settings, load_recall_settings, put_recall_settings
from app.services.summary import facts_in, seen_in
from app.services.users import require
from models.accounts import Permission
from models.errors import NotFoundError, ValidationError
from models.recall import (
    DueItem,
    DueStatus,
    RecallSettings,
    Treated,
    classify,
    due_status_tests,
    recall_label,
    standing_items,
)
from models.tables import InjectionPoint, Patient, Product, Provider, RecallItem, Visit

if TYPE_CHECKING:
    from app.storage.database import Database


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


def save_recall_changes(
    db: Database, intervals: dict[str, tuple[int | None, int | None]], settings: RecallSettings
) -> Changes:
    """Several products' maintenance windows and the clinic's recall settings, stored
    together or not at all; the summary follows them as the transaction commits."""
    check_recall_settings(settings)
    for product_name, (minimum, maximum) in intervals.items():
        _check_interval(product_name, minimum, maximum)
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        changes = Changes()
        for product_name, (minimum, maximum) in intervals.items():
            changes |= _set_interval(session, db.actor, product_name, minimum, maximum)
        return changes | put_recall_settings(session, db.actor, settings)


def update_intervals(db: Database, product_name: str, minimum: int | None, maximum: int | None) -> Changes:
    """A product's maintenance window (days): every due date of the product follows."""
    _check_interval(product_name, minimum, maximum)
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        return _set_interval(session, db.actor, product_name, minimum, maximum)


def _check_interval(product_name: str, minimum: int | None, maximum: int | None) -> None:
    if (minimum is None) != (maximum is None):
        raise ValidationError("give both ends of the interval, or neither", "interval")
    if minimum is not None and maximum is not None and not 1 <= minimum <= maximum <= 3650:
        raise ValidationError(
            f"the interval of {product_name} must run from 1 to 3650 days, the first end before the second",
            "interval",
        )


def _set_interval(
    session: Session, actor: str, product_name: str, minimum: int | None, maximum: int | None
) -> Changes:
    """Change a product's window in the caller's transaction. A window moved moves its
    rows (in SQL); a window given or taken away rebuilds the patients given the product."""
    product = session.scalar(select(Product).where(Product.name == product_name))
    if product is None:
        raise NotFoundError(f"{product_name!r} is not a product in the catalogue")
    before = (product.interval_min_days, product.interval_max_days)
    product.interval_min_days, product.interval_max_days = minimum, maximum
    session.flush()
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
    if before == (minimum, maximum):
        return note(session, Changes(catalogue=True))
    if None not in before and minimum is not None:
        return note(session, Changes(catalogue=True, intervals=frozenset({product.id})))
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
    return note(session, Changes(patients=frozenset(patients), catalogue=True))


def treated_facts(db: Database) -> list[Treated]:
    with db.factory() as session:
        return facts_in(session, db.timezone)


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


def _due_status(today: date, lead_days: int) -> ColumnElement[Any]:
    """The due status as SQL over the summary's columns, from the tests that classify
    dates in Python (models.recall.due_status_tests): one definition of the thresholds."""
    return case(
        (RecallItem.area == "", DueStatus.REVIEW.value),
        *[
            (test(RecallItem.due_from, RecallItem.due_by), status.value)
            for status, test in due_status_tests(today, lead_days)
        ],
        else_=DueStatus.NOT_DUE.value,
    )


def _summary_query(
    today: date, within_days: int | None, settings: RecallSettings, narrow: DueFilter = DueFilter()
) -> tuple[list[ColumnElement[bool]], ColumnElement[Any], ColumnElement[Any]]:
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
    status = _due_status(today, settings.lead_days).label("status")
    urgency = case({s.value: n for n, s in enumerate(_ORDER)}, value=status)
    conditions: list[ColumnElement[bool]] = [
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


_STATUSES = {status.value: status for status in DueStatus}


class _Days(dict[Any, date]):
    """Stored days (ISO text from SQLite, dates from PostgreSQL), each parsed once."""

    def __missing__(self, value: Any) -> date:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        self[value] = day
        return day


class _Labels(dict[tuple[str, str], str]):
    """How a row names its area and side, each worked out once."""

    def __missing__(self, key: tuple[str, str]) -> str:
        self[key] = label = recall_label(*key)
        return label


def _page_rows(
    session: Session,
    conditions: list[ColumnElement[bool]],
    status: ColumnElement[Any],
    urgency: ColumnElement[Any],
    limit: int | None,
    offset: int,
) -> list[DueRow]:
    """The rows the conditions select, most urgent first, with the names they show, read
    as plain rows (a whole list is some 100,000 of them). A page is chosen over the
    summary's index alone, then joined to its patients."""
    order = (urgency, RecallItem.due_from, RecallItem.patient_id, RecallItem.area, RecallItem.side)
    if limit is not None:
        page = select(RecallItem.id).where(*conditions).order_by(*order).limit(limit).offset(offset)
        conditions = [RecallItem.id.in_(page.scalar_subquery())]
    query = (
        select(
            RecallItem.patient_id,
            RecallItem.area,
            RecallItem.side,
            RecallItem.product_id,
            RecallItem.product_kind,
            RecallItem.provider_id,
            type_coerce(RecallItem.last_treated, String),  # text: parsed once per distinct day
            type_coerce(RecallItem.due_from, String),
            type_coerce(RecallItem.due_by, String),
            status,
            Patient.chart_number,
            Patient.given_name,
            Patient.family_name,
            Patient.phone,
        )
        .join(Patient, RecallItem.patient_id == Patient.id)
        .where(*conditions)
        .order_by(*order)
    )
    product_names = dict(session.execute(select(Product.id, Product.name)).all())
    provider_names = dict(session.execute(select(Provider.id, Provider.display_name)).all())
    days = _Days()
    labels = _Labels()
    rows = []
    for (
        patient_id,
        area,
        side,
        product_id,
        kind,
        provider_id,
        last,
        due_from,
        due_by,
        state,
        chart,
        given,
        family,
        phone,
    ) in session.connection().execute(query).all():
        due = DueItem(
            patient_id,
            area,
            product_names[product_id],
            kind,
            days[last],
            days[due_from],
            days[due_by],
            _STATUSES[state],
            side,
        )
        rows.append(
            DueRow(
                chart,
                f"{given} {family}",
                labels[area, side],
                due,
                provider_names.get(provider_id, ""),
                phone or "",
            )
        )
    return rows


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
        rows = _page_rows(session, conditions, status, urgency, limit, offset)
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

    Every day reads the recall summary with one status definition. For a day in the past,
    the patients seen since have their windows recomputed from their charts as they stood
    then, and classified by the same tests (models.recall.due_status_tests); everyone
    else's windows are what they were that day."""
    settings = settings or load_recall_settings(db)
    conditions, status, urgency = _summary_query(today, within_days, settings)
    end_of_day = datetime.combine(today + timedelta(days=1), time(0), db.timezone)
    since = select(Visit.patient_id).where(Visit.started_at >= end_of_day)
    with db.factory() as session:
        rows = _page_rows(
            session, [*conditions, RecallItem.patient_id.not_in(since)], status, urgency, None, 0
        )
        if session.scalar(since.limit(1)) is None:
            return rows
        facts = facts_in(session, db.timezone, since, before=end_of_day)
        seen = seen_in(session, db.timezone, since, before=end_of_day)
        archived = set(session.scalars(select(Patient.id).where(Patient.archived.is_(True))))
        items = [
            i
            for i in classify(standing_items(facts, settings.review_days, seen), today, settings)
            if i.patient_id not in archived
        ]
        urgent = {DueStatus.OVERDUE, DueStatus.DUE, DueStatus.REVIEW}
        if within_days is None:
            chosen = [i for i in items if i.status is not DueStatus.NOT_DUE]
        else:
            limit = today + timedelta(days=within_days)
            chosen = [i for i in items if i.status in urgent or i.due_from <= limit]
        names = {
            patient_id: (chart, f"{given} {family}", phone or "")
            for patient_id, chart, given, family, phone in session.execute(
                select(
                    Patient.id, Patient.chart_number, Patient.given_name, Patient.family_name, Patient.phone
                ).where(Patient.id.in_(since))
            )
        }
    rows += [
        DueRow(
            names[i.patient_id][0],
            names[i.patient_id][1],
            recall_label(i.area, i.side),
            i,
            phone=names[i.patient_id][2],
        )
        for i in chosen
    ]
    order = {s: n for n, s in enumerate(_ORDER)}
    return sorted(
        rows,
        key=lambda r: (order[r.item.status], r.item.due_from, r.item.patient_id, r.item.area, r.item.side),
    )


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
