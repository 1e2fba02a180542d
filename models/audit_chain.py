"""The audit trail's hash chain, and a signed visit's content hash: pure functions.

Each audit event's hash is the SHA-256 of its own fields and the previous event's hash
(the first event follows GENESIS). Changing, removing or inserting an event with any
tool therefore breaks the chain at that event: the stored hash no longer matches, or
the next event no longer follows it. The fields are joined with a separator that no
stored text contains (one-line fields refuse control characters; JSON escapes them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.base import stored_moment

GENESIS = "0" * 64
_SEPARATOR = "\x1f"  # ASCII unit separator


@dataclass(frozen=True)
class ChainedFields:
    """What an audit event's hash covers, in order."""

    id: int
    occurred_at: datetime
    actor: str
    workstation: str
    action: str
    entity: str
    entity_id: str | None
    patient_id: int | None
    visit_id: int | None
    details: str


def moment_text(moment: datetime | str) -> str:
    """One spelling of an instant, whatever the database gave back (microseconds kept).
    SQLite gives its stored text ("2026-12-03 10:41:20.123456", UTC), read as it is."""
    if isinstance(moment, str) and len(moment) == 26 and moment[10] == " ":
        return f"{moment[:10]}T{moment[11:]}Z"  # the common case, without parsing: a million events
    return stored_moment(moment).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(previous: str, event: ChainedFields) -> str:
    return chain_hash(
        previous,
        event.id,
        moment_text(event.occurred_at),
        event.actor,
        event.workstation,
        event.action,
        event.entity,
        event.entity_id,
        event.patient_id,
        event.visit_id,
        event.details,
    )


def chain_hash(
    previous: str,
    event_id: int,
    moment: str,
    actor: str,
    workstation: str,
    action: str,
    entity: str,
    entity_id: str | None,
    patient_id: int | None,
    visit_id: int | None,
    details: str,
) -> str:
    """The hash of one event given its fields as stored (the moment as `moment_text`)."""
    text = (
        f"{previous}\x1f{event_id}\x1f{moment}\x1f{actor}\x1f{workstation}\x1f{action}\x1f{entity}"
        f"\x1f{'' if entity_id is None else entity_id}\x1f{'' if patient_id is None else patient_id}"
        f"\x1f{'' if visit_id is None else visit_id}\x1f{details}"
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """The one serialisation of signed content: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(record: str, snapshot: str) -> str:
    """A signed visit's hash: its canonical record and what was printed beside it."""
    return hashlib.sha256(f"{record}{_SEPARATOR}{snapshot}".encode()).hexdigest()
