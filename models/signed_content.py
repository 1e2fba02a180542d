"""What a signature covers: a visit's canonical content, read straight from its rows.

`record_text` is the one spelling of a visit's own rows (the visit's fields, each point
with its product, lot and amount). Signing stores it beside a snapshot of what was
printed with it (names and licences as they were, the next-due dates of that day) and the
SHA-256 of both (models/audit_chain.content_hash). `aliquot audit verify` reads the rows
again the same way and compares: a row changed by any tool no longer gives the stored text.

The rows are read with SQL here, for signing one visit and for verifying them all alike:
the same query, the same conversions, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Row, String, select, type_coerce
from sqlalchemy.orm import Session

from models.audit_chain import canonical_json, moment_text
from models.base import format_amount, stored_amount
from models.tables import InjectionPoint, Lot, Visit

# Read as stored, with as little conversion as the one spelling needs (a whole clinic is
# read again by every verification): enumerations, times and days as their stored text on
# SQLite (typed values on PostgreSQL are spelled the same way below).
_VISIT_COLUMNS = (
    Visit.id,
    Visit.external_id,
    Visit.patient_id,
    Visit.provider_id,
    type_coerce(Visit.started_at, String),
    type_coerce(Visit.kind, String),
    Visit.concern,
    Visit.notes,
    Visit.warning_reason,
    Visit.consent_recorded,
    Visit.amends_visit_id,
    Visit.amendment_reason,
)
_POINT_COLUMNS = (
    InjectionPoint.visit_id,
    InjectionPoint.position,
    type_coerce(InjectionPoint.view, String),
    InjectionPoint.x,
    InjectionPoint.y,
    InjectionPoint.region_code,
    InjectionPoint.product_id,
    InjectionPoint.lot_id,
    Lot.number,
    type_coerce(Lot.expiry, String),
    type_coerce(InjectionPoint.amount, String),  # REAL on SQLite, NUMERIC on PostgreSQL
    InjectionPoint.aliquots,
    type_coerce(InjectionPoint.depth, String),
    type_coerce(InjectionPoint.technique, String),
    InjectionPoint.gauge,
    InjectionPoint.notes,
)
_BATCH = 5000


@cache
def _amount_text(stored: object) -> str:
    """An amount as it was charted ("4", "0.05"), whether the driver gave a float or a
    Decimal; the few distinct amounts of a clinic are worked out once."""
    return format_amount(stored_amount(stored))


def _day_text(stored: object) -> str | None:
    return stored if stored is None or isinstance(stored, str) else stored.isoformat()  # type: ignore[attr-defined]


def record_text(visit: Sequence[Any], points: Sequence[Sequence[Any]]) -> str:
    """A visit row and its point rows (without their visit id), as signed."""
    visit_values = list(visit)
    visit_values[4] = moment_text(visit_values[4])
    return canonical_json(
        {
            "visit": visit_values,
            "points": [
                (*point[:8], _day_text(point[8]), _amount_text(point[9]), *point[10:]) for point in points
            ],
        }
    )


@dataclass(frozen=True)
class StoredSignature:
    visit_id: int
    record: str  # as read from the rows now
    signed_record: str | None
    signed_snapshot: str | None
    content_hash: str | None


def _points_query(where: ColumnElement[bool], points: ColumnElement[bool] | None) -> Any:
    query = select(*_POINT_COLUMNS).outerjoin(Lot, Lot.id == InjectionPoint.lot_id)
    if points is None:
        query = query.join(Visit, Visit.id == InjectionPoint.visit_id).where(where)
    else:
        query = query.where(points)  # the caller's own narrowing (no join with the visits)
    return query.order_by(InjectionPoint.visit_id, InjectionPoint.position)


def read_records(
    session: Session, where: ColumnElement[bool], points: ColumnElement[bool] | None = None
) -> Iterator[StoredSignature]:
    """Every visit matching `where`, in id order, its record read from the rows beside
    what was stored when it was signed. `points` may narrow the points read to a range
    holding those visits' points (the points of other visits in it are passed over).
    Streams: a whole clinic never sits in memory."""
    connection = session.connection()
    visits = connection.execute(
        select(*_VISIT_COLUMNS, Visit.signed_record, Visit.signed_snapshot, Visit.content_hash)
        .where(where)
        .order_by(Visit.id)
        .execution_options(yield_per=_BATCH)
    )
    rows = iter(connection.execute(_points_query(where, points).execution_options(yield_per=_BATCH)))
    pending: Row[Any] | None = next(rows, None)
    width = len(_VISIT_COLUMNS)
    for visit in visits:
        own = []
        while pending is not None and pending[0] < visit[0]:
            pending = next(rows, None)  # a point of a visit not asked for
        while pending is not None and pending[0] == visit[0]:
            own.append(pending[1:])
            pending = next(rows, None)
        stored: tuple[str | None, str | None, str | None] = tuple(visit[width:])  # type: ignore[assignment]
        yield StoredSignature(visit[0], record_text(visit[:width], own), *stored)


def record_of(session: Session, visit_id: int) -> str:
    """One visit's record as it stands in the database now (flush before calling)."""
    for stored in read_records(session, Visit.id == visit_id):
        return stored.record
    raise LookupError(visit_id)


def superseded() -> ColumnElement[bool]:
    """Visits corrected by an amendment (a draft or signed one): the amendment stands for
    them in recall, totals and safety history, so a dose is never counted twice."""
    from sqlalchemy.orm import aliased

    amendment = aliased(Visit)
    return Visit.id.in_(select(amendment.amends_visit_id).where(amendment.amends_visit_id.is_not(None)))
