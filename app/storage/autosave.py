"""Unsaved charts survive a crash or a power cut.

While a visit has unsaved changes the editor writes them, a few seconds after the last
edit, to a small recovery file in the user's data folder. Saving or discarding the visit
removes the file; the next start finds any file left behind and offers it back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from app.services.patients import patient_record
from app.services.visits import OpenedVisit, open_visit
from app.storage.config import APP_NAME
from app.storage.database import Database
from app.storage.files import make_private_folder, write_atomically
from models.chart import VisitFields
from models.errors import NotFoundError
from models.point_fields import point_from_data, point_to_data
from models.records import ChartedPoint, PatientRecord
from models.tables import Patient
from models.vocabulary import VisitStatus

RECOVERY_FORMAT = "aliquot.recovery/1"


def recovery_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "recovery"


def _database_key(db: Database) -> str:
    return hashlib.sha256(db.name.encode("utf-8")).hexdigest()[:16]


def _path(db: Database, visit_id: int) -> Path:
    return recovery_dir() / f"{_database_key(db)}-visit-{visit_id}.json"


@dataclass(frozen=True)
class RecoveredChart:
    visit_id: int
    version: int
    saved_at: datetime
    fields: VisitFields
    points: list[ChartedPoint]
    path: Path


def write_recovery(
    db: Database, visit_id: int, version: int, fields: VisitFields, points: list[ChartedPoint]
) -> Path:
    """Write (atomically: never a half-written file; owner-only, in an owner-only folder)
    the unsaved state of one visit."""
    path = _path(db, visit_id)
    make_private_folder(path.parent)
    document = {
        "format": RECOVERY_FORMAT,
        "database": db.name,
        "visit_id": visit_id,
        "version": version,
        "saved_at": datetime.now().astimezone().isoformat(),
        "fields": {
            "provider_id": fields.provider_id,
            "started_at": fields.started_at.isoformat(),
            "concern": fields.concern,
            "notes": fields.notes,
            "consent_recorded": fields.consent_recorded,
        },
        "points": [point_to_data(p) for p in points],
    }
    return write_atomically(path, json.dumps(document, ensure_ascii=False), replace=True)


def discard_recovery(db: Database, visit_id: int) -> None:
    _path(db, visit_id).unlink(missing_ok=True)


def pending_recoveries(db: Database) -> list[RecoveredChart]:
    """Unsaved charts of this database left behind by a crash, newest first.
    A file that cannot be read is skipped (and kept, for someone to look at)."""
    found = []
    for path in sorted(recovery_dir().glob(f"{_database_key(db)}-visit-*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != RECOVERY_FORMAT:
                continue
            fields = data["fields"]
            found.append(
                RecoveredChart(
                    visit_id=data["visit_id"],
                    version=data["version"],
                    saved_at=datetime.fromisoformat(data["saved_at"]),
                    fields=VisitFields(
                        fields["provider_id"],
                        datetime.fromisoformat(fields["started_at"]),
                        fields["concern"],
                        fields["notes"],
                        fields["consent_recorded"],
                    ),
                    points=[point_from_data(p) for p in data["points"]],
                    path=path,
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def find_recoveries(db: Database) -> list[tuple[RecoveredChart, PatientRecord, OpenedVisit]]:
    """(recovered chart, patient, opened visit) for each recovery whose visit still exists
    and is still a draft; recoveries of visits gone or signed are removed."""
    found = []
    for recovered in pending_recoveries(db):
        try:
            opened = open_visit(db, recovered.visit_id)
        except NotFoundError:
            continue  # the visit is gone: the file stays for someone to look at
        if opened.visit.status is VisitStatus.SIGNED:
            recovered.path.unlink(missing_ok=True)
            continue
        with db.factory() as session:
            patient = patient_record(session.get_one(Patient, opened.visit.patient_id))
        found.append((recovered, patient, opened))
    return found
