"""The audit trail: every service that reads or changes clinical data writes one event,
chained to the one before it (models/audit_chain.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from app.storage.config import workstation
from models.audit_chain import GENESIS, ChainedFields, event_hash
from models.base import utcnow
from models.tables import AuditEvent, Visit

if TYPE_CHECKING:  # the database module writes audit events itself
    from app.storage.database import Database

_HEAD = "audit_chain_head"  # session.info: (id, hash) of the last event of this transaction
# Any fixed number: PostgreSQL's transaction lock that makes workstations append in turn
# (on SQLite a write transaction already holds the one write lock).
_CHAIN_LOCK = 0x416C6971


def _head(session: Session) -> tuple[int, str]:
    head: tuple[int, str] | None = session.info.get(_HEAD)
    if head is None:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
        last = session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        head = (last.id, last.hash) if last is not None else (0, GENESIS)
        pending = [e for e in session.new if isinstance(e, AuditEvent)]  # not flushed yet
        if pending:
            newest = max(pending, key=lambda e: e.id)
            head = max(head, (newest.id, newest.hash))
    return head


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction: SessionTransaction) -> None:
    """A transaction's end (its events committed, or rolled back and gone): the next one
    reads the head again, under its own lock."""
    if transaction.parent is None or transaction.nested:
        session.info.pop(_HEAD, None)


def record_event(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    *,
    patient_id: int | None = None,
    visit_id: int | None = None,
    **details: object,
) -> None:
    """One event, next in the chain. `patient_id` and `visit_id` say whose record it
    concerns (an event about a visit is found by its patient too)."""
    fields = _next_fields(session, actor, action, entity, entity_id, patient_id, visit_id, details)
    session.add(AuditEvent(**_columns(fields), hash=session.info[_HEAD][1]))


def record_events(
    session: Session,
    actor: str,
    events: list[tuple[str, str, int, int | None, int | None, dict[str, object]]],
) -> None:
    """Many events at once (a demo clinic's signatures): (action, entity, entity id,
    patient id, visit id, details) each, chained in this order, inserted in one statement."""
    rows = []
    for action, entity, entity_id, patient_id, visit_id, details in events:
        fields = _next_fields(session, actor, action, entity, entity_id, patient_id, visit_id, details)
        rows.append({**_columns(fields), "hash": session.info[_HEAD][1]})
    if rows:
        session.execute(insert(AuditEvent), rows)


def _next_fields(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    patient_id: int | None,
    visit_id: int | None,
    details: dict[str, object],
) -> ChainedFields:
    """The next event's fields; its hash becomes the head of this transaction's chain."""
    if visit_id is None and entity == "visit" and entity_id is not None:
        visit_id = int(entity_id)
    if patient_id is None and visit_id is not None:
        visit = session.get(Visit, visit_id)  # mostly in the session already: no query
        patient_id = visit.patient_id if visit is not None else None
    if patient_id is None and entity == "patient" and entity_id is not None:
        patient_id = int(entity_id)
    last_id, last_hash = _head(session)
    fields = ChainedFields(
        id=last_id + 1,
        occurred_at=utcnow(),
        actor=actor,
        workstation=workstation(),
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        visit_id=visit_id,
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
    )
    session.info[_HEAD] = (fields.id, event_hash(last_hash, fields))
    return fields


def _columns(fields: ChainedFields) -> dict[str, Any]:
    return {name: getattr(fields, name) for name in ChainedFields.__dataclass_fields__}


def record_access(
    db: Database,
    action: str,
    entity: str,
    entity_id: int | str | None = None,
    *,
    patient_id: int | None = None,
    visit_id: int | None = None,
    **details: object,
) -> None:
    """An access to health information that reads nothing itself (a search shown, a file
    exported): one event in its own transaction. A read-only database cannot keep it."""
    if db.read_only:
        return
    with db.factory.begin() as session:
        record_event(
            session, db.actor, action, entity, entity_id, patient_id=patient_id, visit_id=visit_id, **details
        )
