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
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import String, func, select, type_coerce

from app.services.audit import record_event
from app.services.users import require
from app.storage.database import Database
from models.accounts import Permission
from models.audit_chain import GENESIS, chain_hash, content_hash, moment_text
from models.errors import NotFoundError
from models.signed_content import read_records
from models.tables import AuditEvent, InjectionPoint, Patient, Visit, VisitCosign
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
    """Check the whole trail. A large one is checked by two processes at once (the chain
    in one, the signed visits in pieces across both), each reading the database itself."""
    with db.factory() as session:
        events = session.scalar(select(func.max(AuditEvent.id))) or 0
        first, last = session.execute(
            select(func.min(Visit.id), func.max(Visit.id)).where(Visit.status == VisitStatus.SIGNED)
        ).one()
    parallel = events >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 and _separate_processes_can_open(db)
    pieces = _visit_ranges(first, last, PIECES if parallel else 1)
    if parallel:
        url = db.url.render_as_string(hide_password=False)
        context = multiprocessing.get_context("spawn")  # never fork a program that runs threads
        with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
            chain_job = pool.submit(_chain_in_process, url)
            visit_jobs = [pool.submit(_visits_in_process, url, low, high) for low, high in pieces]
            chain = chain_job.result()
            visits = [job.result() for job in visit_jobs]
    else:
        with db.factory() as session:
            chain = _walk_chain(session)
            visits = [_check_visit_range(session, low, high) for low, high in pieces]
    with db.factory() as session:
        return _combine(session, chain, visits)


PARALLEL_FROM = 200_000  # events: below this one process is quicker than starting two
PIECES = 6


def _visit_ranges(first: int | None, last: int | None, pieces: int) -> list[tuple[int, int]]:
    if first is None or last is None:
        return []
    step = max(1, (last - first + pieces) // pieces)
    return [(low, min(low + step - 1, last)) for low in range(first, last + 1, step)]


def _separate_processes_can_open(db: Database) -> bool:
    """Another process can open the same database (not an in-memory one)."""
    return not db.is_sqlite or db.url.database not in (None, "", ":memory:")


def _open_elsewhere(url: str) -> Any:
    from sqlalchemy.orm import Session

    from models.database import make_engine

    return Session(make_engine(url))


def _chain_in_process(url: str) -> _Chain:
    with _open_elsewhere(url) as session:
        return _walk_chain(session)


def _visits_in_process(url: str, low: int, high: int) -> _Visits:
    with _open_elsewhere(url) as session:
        return _check_visit_range(session, low, high)


@dataclass
class _Chain:
    events: int = 0
    fault: str | None = None
    signed: dict[int, set[str]] = field(default_factory=dict)  # visit -> content hashes signed
    cosigned: dict[int, str] = field(default_factory=dict)


@dataclass
class _Visits:
    hashes: dict[int, str] = field(default_factory=dict)  # visit -> its (checked) content hash
    fault: tuple[int, str] | None = None  # the first visit of the range that fails, and why


def _walk_chain(session: Any) -> _Chain:
    """The chain, event by event, to its first fault; what it says was signed and co-signed."""
    chain = _Chain()
    signed, cosigned = chain.signed, chain.cosigned
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
            chain.fault = f"audit event {expected_id} is missing (deleted): the trail goes from {expected_id - 1} to {event_id}"
            return chain
        when = moment_text(moment)
        if (
            chain_hash(
                previous, event_id, when, actor, station, action, entity, entity_id, patient, visit, details
            )
            != stored
        ):
            chain.fault = (
                f"audit event {event_id} ({action} {entity} {entity_id or ''}, {when[:16].replace('T', ' ')} UTC)"
                " does not match its hash: it was edited, inserted, or an event before it removed"
            )
            return chain
        previous, expected_id = stored, event_id + 1
        chain.events += 1
        if action == "sign" and visit is not None:
            signed.setdefault(visit, set()).add(json.loads(details).get("content_hash", ""))
        elif action == "co-sign" and visit is not None:
            cosigned[visit] = json.loads(details).get("content_hash", "")
    return chain


def _check_visit_range(session: Any, low: int, high: int) -> _Visits:
    """The signed visits with ids from `low` to `high`: each one's stored content gives its
    hash, and its rows read now give that content."""
    checked = _Visits()
    signed_here = (Visit.status == VisitStatus.SIGNED) & Visit.id.between(low, high)
    for stored in read_records(session, signed_here, InjectionPoint.visit_id.between(low, high)):
        visit = stored.visit_id
        if stored.signed_record is None or stored.signed_snapshot is None or stored.content_hash is None:
            checked.fault = (
                visit,
                f"visit {visit} is marked signed but was never sealed (no signed content)",
            )
        elif content_hash(stored.signed_record, stored.signed_snapshot) != stored.content_hash:
            checked.fault = (
                visit,
                f"visit {visit}: its signed content does not match its content hash (edited)",
            )
        elif stored.record != stored.signed_record:
            checked.fault = (
                visit,
                f"visit {visit} was changed after it was signed: its rows no longer match what was signed",
            )
        if checked.fault is not None:
            return checked
        checked.hashes[visit] = stored.content_hash  # type: ignore[assignment]  # checked above
    return checked


def _combine(session: Any, chain: _Chain, pieces: list[_Visits]) -> TrailReport:
    """One report from the parts: the chain's fault first, then the first visit (by id)
    that fails, then the co-signatures."""
    visits = sum(len(piece.hashes) for piece in pieces)
    if chain.fault is not None:
        return TrailReport(chain.events, 0, 0, problem=chain.fault)
    faults = [piece.fault for piece in pieces if piece.fault is not None]
    for piece in pieces:
        for visit, digest in piece.hashes.items():
            if digest not in chain.signed.pop(visit, set()):
                faults.append(
                    (
                        visit,
                        f"visit {visit}: its signature is not in the audit trail (signed outside Aliquot?)",
                    )
                )
    if chain.signed and not faults:
        visit = min(chain.signed)
        faults.append(
            (
                visit,
                f"visit {visit} was signed (audit trail) but is no longer there as signed (deleted or reopened)",
            )
        )
    if faults:
        return TrailReport(chain.events, visits, 0, problem=min(faults)[1])
    try:
        cosignatures = _check_cosignatures(session, chain.cosigned)
    except _Fault as fault:
        return TrailReport(chain.events, visits, 0, problem=str(fault))
    return TrailReport(chain.events, visits, cosignatures)


def _check_cosignatures(session: Any, cosigned_in_chain: dict[int, str]) -> int:
    count = 0
    rows = session.execute(
        select(VisitCosign.visit_id, VisitCosign.content_hash, Visit.content_hash)
        .join(Visit, Visit.id == VisitCosign.visit_id)
        .order_by(VisitCosign.visit_id)
    )
    for visit, cosigned_hash, visit_hash in rows:
        if cosigned_hash != visit_hash or cosigned_in_chain.pop(visit, None) != cosigned_hash:
            raise _Fault(f"visit {visit}: its co-signature does not match the visit or the audit trail")
        count += 1
    if cosigned_in_chain:
        raise _Fault(f"visit {min(cosigned_in_chain)}: its co-signature (audit trail) is gone")
    return count


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
