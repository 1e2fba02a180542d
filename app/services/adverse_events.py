"""Adverse events: what went wrong after a treatment, and for a vascular occlusion the
timed log of every hyaluronidase dose and assessment.

Hyaluronidase given for an occlusion is never held back by a safety rule: a dose is
recorded as given. Every event and log line is in the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.services.audit import record_event
from app.services.patients import find_by_chart
from app.services.users import require
from app.services.visits import ProductLookup
from app.storage.database import Database
from models.accounts import Permission
from models.amounts import format_dose
from models.errors import NotFoundError, ValidationError
from models.regions import REGIONS
from models.tables import AdverseEvent, AdverseEventLog, InjectionPoint, Lot, Patient, Product, Visit
from models.validation import check_text
from models.vocabulary import EventKind, LogEntryKind, ProductKind, Severity


@dataclass(frozen=True)
class LogLine:
    at: datetime
    kind: LogEntryKind
    words: str  # "Hylenex 150 U (lot H1) to nasolabial l" / "refill 4 s, skin mottled, pain 7/10"


@dataclass(frozen=True)
class AdverseEventRecord:
    id: int
    patient_id: int
    chart_number: str
    patient_name: str
    visit_id: int | None
    kind: EventKind
    severity: Severity
    onset_at: datetime
    regions: tuple[str, ...]
    description: str
    actions: str
    referral: str
    outcome: str
    follow_up: date | None
    recorded_by: str
    log: tuple[LogLine, ...]


def _regions(codes: list[str] | tuple[str, ...]) -> str:
    unknown = [code for code in codes if code not in REGIONS]
    if unknown:
        raise ValidationError(
            f"{', '.join(unknown)} is not a face region (see docs/interchange.md)", "regions"
        )
    return " ".join(codes)


def _text(value: str, field: str) -> str:
    check_text(value, field, field.replace("_", " "), single_line=False)
    return value.strip()


def _not_future(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ValidationError(f"the {what} needs its time zone", what)
    if moment > datetime.now(UTC):
        raise ValidationError(f"the {what} {moment:%Y-%m-%d %H:%M} is in the future", what)
    return moment


def report_adverse_event(
    db: Database,
    chart_number: str,
    kind: EventKind,
    severity: Severity,
    onset_at: datetime,
    visit_id: int | None = None,
    regions: tuple[str, ...] = (),
    description: str = "",
    actions: str = "",
    referral: str = "",
    follow_up: date | None = None,
) -> AdverseEventRecord:
    """Record an adverse event of a patient, after one of their visits (usually)."""
    _not_future(onset_at, "onset")
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        patient = find_by_chart(session, chart_number)
        if patient is None:
            raise NotFoundError(f"no patient with chart number {chart_number}")
        if visit_id is not None:
            visit = session.get(Visit, visit_id)
            if visit is None or visit.patient_id != patient.id:
                raise ValidationError(
                    f"visit {visit_id} is not one of {patient.chart_number}'s visits", "visit"
                )
            if onset_at < visit.started_at:
                raise ValidationError(f"the onset is before visit {visit_id} began", "onset")
        event = AdverseEvent(
            patient_id=patient.id,
            visit_id=visit_id,
            kind=kind,
            severity=severity,
            onset_at=onset_at,
            regions=_regions(regions),
            description=_text(description, "description"),
            actions=_text(actions, "actions"),
            referral=_text(referral, "referral"),
            outcome="",
            follow_up=follow_up,
            recorded_by=db.actor,
        )
        session.add(event)
        session.flush()
        record_event(
            session,
            db.actor,
            "create",
            "adverse-event",
            event.id,
            patient_id=patient.id,
            visit_id=visit_id,
            kind=kind.value,
            severity=severity.value,
        )
        return _record(session, event)


def _event(session: Session, event_id: int) -> AdverseEvent:
    event = session.get(AdverseEvent, event_id)
    if event is None:
        raise NotFoundError(f"no adverse event {event_id} (see: aliquot events)")
    return event


def log_dose(
    db: Database,
    event_id: int,
    at: datetime,
    product_name: str,
    amount: Decimal,
    lot_number: str | None = None,
    lot_expiry: date | None = None,
    regions: tuple[str, ...] = (),
    notes: str = "",
) -> AdverseEventRecord:
    """A dose given to treat the event (hyaluronidase for an occlusion): recorded as given,
    never held back by a safety rule."""
    _not_future(at, "dose time")
    if amount <= 0:
        raise ValidationError("a dose is more than 0", "amount")
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        event = _event(session, event_id)
        lookup = ProductLookup(session)
        product = lookup.product(product_name)
        if product.kind is not ProductKind.ENZYME:
            raise ValidationError(
                f"{product.name} is not an enzyme: the log records what treats the event (hyaluronidase)",
                "product",
            )
        lot = lookup.lot(product, lot_number, lot_expiry) if lot_number else None
        session.add(
            AdverseEventLog(
                event_id=event.id,
                at=at,
                kind=LogEntryKind.DOSE,
                product=product,
                lot=lot,
                amount=amount,
                regions=_regions(regions),
                skin_colour="",
                vision="",
                notes=_text(notes, "notes"),
                recorded_by=db.actor,
            )
        )
        session.flush()
        record_event(
            session,
            db.actor,
            "log-dose",
            "adverse-event",
            event.id,
            patient_id=event.patient_id,
            amount=str(amount),
            product=product.name,
        )
        session.expire(event, ["log"])
        return _record(session, event)


def log_assessment(
    db: Database,
    event_id: int,
    at: datetime,
    capillary_refill_s: Decimal | None = None,
    skin_colour: str = "",
    pain: int | None = None,
    vision: str = "",
    notes: str = "",
) -> AdverseEventRecord:
    _not_future(at, "assessment time")
    if pain is not None and not 0 <= pain <= 10:
        raise ValidationError("pain is scored from 0 to 10", "pain")
    if capillary_refill_s is not None and capillary_refill_s < 0:
        raise ValidationError("a capillary refill time is 0 seconds or more", "refill")
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        event = _event(session, event_id)
        session.add(
            AdverseEventLog(
                event_id=event.id,
                at=at,
                kind=LogEntryKind.ASSESSMENT,
                capillary_refill_s=capillary_refill_s,
                skin_colour=_text(skin_colour, "skin_colour")[:60],
                pain=pain,
                vision=_text(vision, "vision")[:120],
                regions="",
                notes=_text(notes, "notes"),
                recorded_by=db.actor,
            )
        )
        session.flush()
        record_event(
            session, db.actor, "log-assessment", "adverse-event", event.id, patient_id=event.patient_id
        )
        session.expire(event, ["log"])
        return _record(session, event)


def close_adverse_event(
    db: Database, event_id: int, outcome: str, follow_up: date | None = None
) -> AdverseEventRecord:
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        event = _event(session, event_id)
        event.outcome = _text(outcome, "outcome")
        event.follow_up = follow_up
        record_event(
            session,
            db.actor,
            "update",
            "adverse-event",
            event.id,
            patient_id=event.patient_id,
            outcome=outcome,
        )
        return _record(session, event)


def _record(session: Session, event: AdverseEvent) -> AdverseEventRecord:
    patient = session.get_one(Patient, event.patient_id)
    return AdverseEventRecord(
        event.id,
        event.patient_id,
        patient.chart_number,
        f"{patient.given_name} {patient.family_name}",
        event.visit_id,
        event.kind,
        event.severity,
        event.onset_at,
        tuple(event.regions.split()),
        event.description,
        event.actions,
        event.referral,
        event.outcome,
        event.follow_up,
        event.recorded_by,
        tuple(_line(entry) for entry in sorted(event.log, key=lambda e: (e.at, e.id))),
    )


def _line(entry: AdverseEventLog) -> LogLine:
    if entry.kind is LogEntryKind.DOSE:
        assert entry.product is not None and entry.amount is not None
        lot = f" (lot {entry.lot.number})" if entry.lot is not None else ""
        where = f" to {', '.join(REGIONS[c].label for c in entry.regions.split())}" if entry.regions else ""
        words = f"{entry.product.name} {format_dose(entry.amount, entry.product.dose_unit)}{lot}{where}"
    else:
        parts = []
        if entry.capillary_refill_s is not None:
            parts.append(f"capillary refill {entry.capillary_refill_s.normalize():f} s")
        if entry.skin_colour:
            parts.append(f"skin {entry.skin_colour}")
        if entry.pain is not None:
            parts.append(f"pain {entry.pain}/10")
        if entry.vision:
            parts.append(f"vision {entry.vision}")
        words = ", ".join(parts) or "assessed"
    if entry.notes:
        words += f" — {entry.notes}"
    return LogLine(entry.at, entry.kind, words)


def list_adverse_events(
    db: Database,
    since: date | None = None,
    product_name: str | None = None,
    lot_number: str | None = None,
    visit_id: int | None = None,
    patient_id: int | None = None,
) -> list[AdverseEventRecord]:
    """The clinic's adverse events, newest first; narrowed to a day on, to the visit, or to
    the events after visits that used a product (and lot): what goes to the manufacturer."""
    with db.factory() as session:
        query = select(AdverseEvent).options(
            selectinload(AdverseEvent.log).selectinload(AdverseEventLog.product),
            selectinload(AdverseEvent.log).selectinload(AdverseEventLog.lot),
        )
        if since is not None:
            query = query.where(
                AdverseEvent.onset_at >= datetime.combine(since, datetime.min.time(), db.timezone)
            )
        if visit_id is not None:
            query = query.where(AdverseEvent.visit_id == visit_id)
        if patient_id is not None:
            query = query.where(AdverseEvent.patient_id == patient_id)
        if product_name is not None or lot_number is not None:
            used = select(InjectionPoint.visit_id).join(Product, Product.id == InjectionPoint.product_id)
            if product_name is not None:
                used = used.where(Product.name_key == ProductLookup(session).product(product_name).name_key)
            if lot_number is not None:
                used = used.join(Lot, Lot.id == InjectionPoint.lot_id).where(Lot.number == lot_number.strip())
            query = query.where(AdverseEvent.visit_id.in_(used))
        events = session.scalars(query.order_by(AdverseEvent.onset_at.desc(), AdverseEvent.id.desc())).all()
        return [_record(session, event) for event in events]
