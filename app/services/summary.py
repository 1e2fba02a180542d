"""The recall summary (`recall_item`): one row per patient, area (and side) and product
kind, with its due window. The one place it is kept up to date.

A service that writes `note`s its `Changes` on the session (app/services/changes.py);
just before that session commits, `_keep_up_to_date` rebuilds, in the same transaction,
the rows of the patients the changes name, every row when a rule they are built from
changed (the review delay, the clinic's clock), and moves the windows of a product whose
interval changed in SQL. No caller refreshes the summary itself.

Imported by app/services/__init__.py, so the hook is in place before any service writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, delete, event, func, insert, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from app.services.changes import NOTED, Changes
from app.services.settings import clinic_zone_in, recall_settings_in
from models.recall import Seen, Treated, area_of_region, side_of, standing_items
from models.signed_content import superseded
from models.tables import AppMeta, InjectionPoint, Product, RecallItem, Visit
from models.vocabulary import VisitKind

SUMMARY_KEY = "recall_summary"  # app_meta: the summary reflects every chart...
# ...as this version of the summary computes it. A marker of another version (or none: the
# downgrade that drops recall_item removes it) means the summary is rebuilt on opening.
# "1" summaries could be empty: the marker outlived its table across a downgrade and upgrade.
# "3": per-side rows of paired areas, reviews per area, enzymes dissolve filler, review visits.
SUMMARY_VERSION = "3"
EVERYONE_ABOVE = 5_000  # more patients than this changed at once: the whole summary is rebuilt


@event.listens_for(Session, "before_commit")
def _keep_up_to_date(session: Session) -> None:
    changes = session.info.pop(NOTED, None)
    if isinstance(changes, Changes):
        keep_summary(session, changes)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction: object) -> None:
    session.info.pop(NOTED, None)  # what a rolled-back transaction noted was never written


def keep_summary(session: Session, changes: Changes) -> None:
    """Bring the summary up to date with what this transaction changed (in it)."""
    session.flush()  # the charts as this transaction leaves them: the summary reads them in SQL
    if changes.recall_rules:
        refresh_recall(session, clinic_zone_in(session))
        return
    patients = set(changes.patients)
    for product_id in sorted(changes.intervals):
        patients |= _move_windows(session, product_id)
    if len(patients) > EVERYONE_ABOVE:  # a demo clinic, a popular product: rebuild it all
        refresh_recall(session, clinic_zone_in(session))
    elif patients:
        refresh_recall(session, clinic_zone_in(session), patients)


def _plus_days(session: Session, day: Any, days: int) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "sqlite":
        return func.date(day, f"{days:+d} days")
    return day + days  # type: ignore[no-any-return]  # PostgreSQL: date + integer


def _move_windows(session: Session, product_id: int) -> set[int]:
    """A maintained product's new window, applied in SQL to that product's rows; the
    patients a window alone cannot settle are returned, to be rebuilt: on one day the
    product due again soonest wins an area, so where another product of its kind was given
    that day (at the same visit or another) the winner may change."""
    product = session.get(Product, product_id)
    assert product is not None
    low, high = product.interval_min_days, product.interval_max_days
    if low is None or high is None:  # no window any more: its rows go, with a rebuild
        return set(session.scalars(select(RecallItem.patient_id).where(RecallItem.product_id == product_id)))
    session.execute(
        update(RecallItem)
        .where(RecallItem.product_id == product_id, RecallItem.area != "")
        .values(
            due_from=_plus_days(session, RecallItem.last_treated, low),
            due_by=_plus_days(session, RecallItem.last_treated, high),
        )
        .execution_options(synchronize_session=False)
    )
    other, other_visit = aliased(InjectionPoint), aliased(Visit)
    # Within a day either side in UTC: every visit on the same clinic day, and a few more
    # (they are only rebuilt, which is always right).
    shared = (
        select(Visit.patient_id)
        .join(InjectionPoint, InjectionPoint.visit_id == Visit.id)
        .join(
            other_visit,
            and_(
                other_visit.patient_id == Visit.patient_id,
                other_visit.started_at >= _shifted(session, Visit.started_at, -1),
                other_visit.started_at <= _shifted(session, Visit.started_at, +1),
            ),
        )
        .join(other, and_(other.visit_id == other_visit.id, other.product_id != product_id))
        .join(Product, Product.id == other.product_id)
        .where(InjectionPoint.product_id == product_id, Product.kind == product.kind)
        .distinct()
    )
    return set(session.scalars(shared))


def _shifted(session: Session, moment: Any, days: int) -> ColumnElement[Any]:
    """A stored moment moved by whole days, in SQL."""
    if session.get_bind().dialect.name == "sqlite":  # stored as text: compare as text
        return func.strftime("%Y-%m-%d %H:%M:%f", moment, f"{days:+d} days")
    return moment + timedelta(days=days)  # type: ignore[no-any-return]


def _as_aware(moment: Any) -> datetime:
    """Aggregates bypass the column type: SQLite hands back naive UTC text or datetimes."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


PatientIds = Iterable[int] | Select[Any] | None
"""Whose charts: these ids, the patients a query selects, or everyone (None)."""


def _among(patient_ids: Iterable[int] | Select[Any]) -> Any:
    return patient_ids if isinstance(patient_ids, Select) else list(patient_ids)


def facts_in(
    session: Session, zone: ZoneInfo, patient_ids: PatientIds = None, before: datetime | None = None
) -> list[Treated]:
    """Per patient, region and product: the first and last day it was given (SQL groups),
    counting only visits before `before` when given (the charts as they stood then)."""
    last = func.max(Visit.started_at).label("last")
    first = func.min(Visit.started_at).label("first")
    keys = (
        Visit.patient_id,
        InjectionPoint.region_code,
        Product.name,
        Product.kind,
        Product.interval_min_days,
        Product.interval_max_days,
    )
    query = (
        select(*keys, last, first)
        .join(Visit, InjectionPoint.visit_id == Visit.id)
        .join(Product, InjectionPoint.product_id == Product.id)
        .where(~superseded())
        .group_by(*keys)
    )
    if patient_ids is not None:
        query = query.where(Visit.patient_id.in_(_among(patient_ids)))
    if before is not None:
        query = query.where(Visit.started_at < before)
    region_area = area_of_region()
    facts = []
    for patient_id, region, name, stored_kind, low, high, last_at, first_at in session.connection().execute(
        query
    ):
        area = region_area[region]
        kind = stored_kind if type(stored_kind) is str else str(stored_kind.value)
        last_day = _as_aware(last_at).astimezone(zone).date()
        first_day = _as_aware(first_at).astimezone(zone).date()
        side = side_of(region)
        facts.append(Treated(patient_id, last_day, area, name, kind, low, high, side))
        if first_day != last_day:  # the first treatment matters for the review rule
            facts.append(Treated(patient_id, first_day, area, name, kind, low, high, side))
    return facts


def seen_in(
    session: Session, zone: ZoneInfo, patient_ids: PatientIds = None, before: datetime | None = None
) -> list[Seen]:
    """Each patient's last review visit (before `before` when given): seen again, with or
    without injections."""
    query = (
        select(Visit.patient_id, func.max(Visit.started_at))
        .where(Visit.kind == VisitKind.REVIEW)
        .group_by(Visit.patient_id)
    )
    if patient_ids is not None:
        query = query.where(Visit.patient_id.in_(_among(patient_ids)))
    if before is not None:
        query = query.where(Visit.started_at < before)
    return [
        Seen(patient_id, _as_aware(at).astimezone(zone).date())
        for patient_id, at in session.connection().execute(query)
    ]


def refresh_recall(session: Session, zone: ZoneInfo, patient_ids: Iterable[int] | None = None) -> None:
    """Rebuild the recall summary of these patients (all when None), in the caller's
    transaction. Called from `keep_summary` only (and on opening a database)."""
    session.flush()
    review_days = recall_settings_in(session).review_days
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
        for item in standing_items(facts_in(session, zone, ids), review_days, seen_in(session, zone, ids))
    ]
    for start in range(0, len(rows), 20_000):
        session.execute(insert(RecallItem), rows[start : start + 20_000])
    if ids is None:
        session.merge(AppMeta(key=SUMMARY_KEY, value=SUMMARY_VERSION))


def _latest_providers(session: Session, patient_ids: list[int] | None) -> dict[int, int]:
    """Each patient's injector at their latest charted visit."""
    latest_query = (
        select(Visit.patient_id, func.max(Visit.started_at).label("at"))
        .where(Visit.points.any())
        .group_by(Visit.patient_id)
    )
    if patient_ids is not None:
        latest_query = latest_query.where(Visit.patient_id.in_(patient_ids))
    latest = latest_query.subquery()
    query = select(Visit.patient_id, Visit.provider_id).join(
        latest, and_(Visit.patient_id == latest.c.patient_id, Visit.started_at == latest.c.at)
    )
    return {patient: provider for patient, provider in session.execute(query) if provider is not None}


def ensure_recall_summary(factory: sessionmaker[Session]) -> None:
    """Build the summary for a database that has none, or a stale one (new, or upgraded);
    a current summary is only read (no write lock)."""
    with factory() as session:
        if _summary_is_current(session):
            return
    with factory.begin() as session:
        if not _summary_is_current(session):  # another program may have built it meanwhile
            refresh_recall(session, clinic_zone_in(session))


def _summary_is_current(session: Session) -> bool:
    marker = session.get(AppMeta, SUMMARY_KEY)
    return marker is not None and marker.value == SUMMARY_VERSION


def day_of(moment: datetime, zone: ZoneInfo) -> date:
    return _as_aware(moment).astimezone(zone).date()
