"""`aliquot audit verify` and `aliquot audit log`: the audit trail checked and read.

Verification walks the hash chain from the first event, then every signed visit:
- each event's hash must be that of its own fields and the previous event's hash, and
  the ids must follow each other (an event edited, deleted or inserted breaks this);
- each signed visit's stored content and snapshot must give its stored hash, that hash
  must stand in the chain's "sign" event of that visit, and the visit's rows read now
  must give the stored content (a visit changed after signing, with the database's
  locks dropped, no longer does);
- every visit the chain says was signed must still be there, signed;
- each co-signature must be of the visit's content hash, and be in the chain.
It stops at the first fault and names it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import String, select, type_coerce

from app.services.audit import record_event
from app.services.users import require
from app.storage.database import Database
from models.accounts import Permission
from models.audit_chain import GENESIS, chain_hash, content_hash, moment_text
from models.errors import NotFoundError
from models.signed_content import read_records
from models.tables import AuditEvent, Patient, Visit, VisitCosign
from models.vocabulary import VisitStatus

_BATCH = 20_000


@dataclass(frozen=True)
class TrailReport:
    events: int
    signed_visits: int
    cosignatures: int
    problem: str | None = None  # the first fault found, in words

    @property
    def ok(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        counted = (
            f"{self.events} audit events, {self.signed_visits} signed visits"
            f" and {self.cosignatures} co-signatures"
        )
        if self.problem is None:
            return f"audit trail intact: {counted} checked"
        return f"audit trail BROKEN: {self.problem}"


class _Fault(Exception):
    pass


def verify_trail(db: Database) -> TrailReport:
    counts = [0, 0, 0]
    try:
        with db.factory() as session:
            signed_in_chain, cosigned_in_chain = _walk_chain(session, counts)
            _check_signed_visits(session, signed_in_chain, counts)
            _check_cosignatures(session, cosigned_in_chain, counts)
    except _Fault as fault:
        return TrailReport(counts[0], counts[1], counts[2], problem=str(fault))
    return TrailReport(counts[0], counts[1], counts[2])


def _walk_chain(session: Any, counts: list[int]) -> tuple[dict[int, set[str]], dict[int, str]]:
    """The chain, event by event; what it says was signed and co-signed (visit -> hashes)."""
    signed: dict[int, set[str]] = {}
    cosigned: dict[int, str] = {}
    previous, expected_id = GENESIS, None
    rows = session.connection().execute(
        select(
            AuditEvent.id,
            type_coerce(AuditEvent.occurred_at, String),  # SQLite's stored text: no parsing
            AuditEvent.actor,
            AuditEvent.workstation,
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.patient_id,
            AuditEvent.visit_id,
            AuditEvent.details,
            AuditEvent.hash,
        )
        .order_by(AuditEvent.id)
        .execution_options(yield_per=_BATCH)
    )
    for event_id, moment, actor, station, action, entity, entity_id, patient, visit, details, stored in rows:
        if expected_id is not None and event_id != expected_id:
            raise _Fault(
                f"audit event {expected_id} is missing (deleted): the trail goes from {expected_id - 1} to {event_id}"
            )
        when = moment_text(moment)
        if (
            chain_hash(previous, event_id, when, actor, station, action, entity, entity_id, patient, visit, details)
            != stored
        ):
            raise _Fault(
                f"audit event {event_id} ({action} {entity} {entity_id or ''}, {when[:16].replace('T', ' ')} UTC)"
                " does not match its hash: it was edited, inserted, or an event before it removed"
            )
        previous, expected_id = stored, event_id + 1
        counts[0] += 1
        if action == "sign" and visit is not None:
            signed.setdefault(visit, set()).add(json.loads(details).get("content_hash", ""))
        elif action == "co-sign" and visit is not None:
            cosigned[visit] = json.loads(details).get("content_hash", "")
    return signed, cosigned


def _check_signed_visits(session: Any, signed_in_chain: dict[int, set[str]], counts: list[int]) -> None:
    for stored in read_records(session, Visit.status == VisitStatus.SIGNED):
        visit = stored.visit_id
        if stored.signed_record is None or stored.signed_snapshot is None or stored.content_hash is None:
            raise _Fault(f"visit {visit} is marked signed but was never sealed (no signed content)")
        if content_hash(stored.signed_record, stored.signed_snapshot) != stored.content_hash:
            raise _Fault(f"visit {visit}: its signed content does not match its content hash (edited)")
        if stored.content_hash not in signed_in_chain.pop(visit, set()):
            raise _Fault(f"visit {visit}: its signature is not in the audit trail (signed outside Aliquot?)")
        if stored.record != stored.signed_record:
            raise _Fault(
                f"visit {visit} was changed after it was signed: its rows no longer match what was signed"
            )
        counts[1] += 1
    if signed_in_chain:
        visit = min(signed_in_chain)
        raise _Fault(
            f"visit {visit} was signed (audit trail) but is no longer there as signed (deleted or reopened)"
        )


def _check_cosignatures(session: Any, cosigned_in_chain: dict[int, str], counts: list[int]) -> None:
    rows = session.execute(
        select(VisitCosign.visit_id, VisitCosign.content_hash, Visit.content_hash)
        .join(Visit, Visit.id == VisitCosign.visit_id)
        .order_by(VisitCosign.visit_id)
    )
    for visit, cosigned_hash, visit_hash in rows:
        if cosigned_hash != visit_hash or cosigned_in_chain.pop(visit, None) != cosigned_hash:
            raise _Fault(f"visit {visit}: its co-signature does not match the visit or the audit trail")
        counts[2] += 1
    if cosigned_in_chain:
        raise _Fault(f"visit {min(cosigned_in_chain)}: its co-signature (audit trail) is gone")


# Reading the trail


@dataclass(frozen=True)
class TrailEntry:
    id: int
    occurred_at: datetime
    actor: str
    workstation: str
    action: str
    entity: str
    entity_id: str | None
    chart_number: str | None
    visit_id: int | None
    details: str


def audit_log(
    db: Database,
    chart_number: str | None = None,
    user: str | None = None,
    since: date | None = None,
    limit: int | None = None,
) -> Iterator[TrailEntry]:
    """The trail, oldest first, narrowed to a patient's chart, a user, or from a day on.
    Reading the trail is itself audited (it names patients)."""
    with db.factory.begin() as session:
        require(db, session, Permission.AUDIT)
        query = (
            select(AuditEvent, Patient.chart_number)
            .outerjoin(Patient, Patient.id == AuditEvent.patient_id)
            .order_by(AuditEvent.id)
        )
        if chart_number is not None:
            from app.services.patients import find_by_chart

            patient = find_by_chart(session, chart_number)
            if patient is None:
                raise NotFoundError(f"no patient with chart number {chart_number!r}")
            query = query.where(AuditEvent.patient_id == patient.id)
        if user is not None:
            query = query.where(AuditEvent.actor == user)
        if since is not None:
            query = query.where(AuditEvent.occurred_at >= datetime.combine(since, time(), db.timezone))
        if limit is not None:
            query = query.limit(limit)
        entries = [
            TrailEntry(
                e.id,
                e.occurred_at,
                e.actor,
                e.workstation,
                e.action,
                e.entity,
                e.entity_id,
                chart,
                e.visit_id,
                e.details,
            )
            for e, chart in session.execute(query)
        ]
        record_event(
            session,
            db.actor,
            "view",
            "audit",
            None,
            patient=chart_number,
            user=user,
            since=since.isoformat() if since else None,
        )
    yield from entries
