"""The audit trail: every service that changes clinical data writes one event."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from models.tables import AuditEvent


def record_event(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | str | None,
    **details: object,
) -> None:
    session.add(
        AuditEvent(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str),
        )
    )
