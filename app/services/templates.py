"""The clinic's own injection templates, saved from a chart and shared by every workstation."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, carrying, note
from app.services.users import require
from app.storage.database import Database
from models.accounts import Permission
from models.errors import ConflictError, NotFoundError, ValidationError
from models.point_fields import point_from_data, point_to_data
from models.records import ChartedPoint
from models.tables import ChartTemplate
from models.templates import ClinicTemplate
from models.text import fold
from models.validation import checked_name


@dataclass(frozen=True)
class SavedTemplate(ClinicTemplate):
    """A clinic template as saved, with what saving changed."""

    changes: Changes = field(default=NOTHING, compare=False)


def _checked_name(name: str) -> str:
    return checked_name(name, "name", "template name", "give the template a name")


def _name_taken(session: Session, name: str) -> None:
    if session.scalar(select(ChartTemplate.id).where(ChartTemplate.name_key == fold(name))):
        raise ConflictError(f"a template named {name} already exists")


def _stored_row(session: Session, key: str) -> ChartTemplate:
    prefix, _, number = key.partition("-")
    row = session.get(ChartTemplate, int(number)) if prefix == "clinic" and number.isdigit() else None
    if row is None:
        raise NotFoundError("that clinic template no longer exists (removed on another workstation?)")
    return row


def save_template(db: Database, name: str, points: list[ChartedPoint]) -> SavedTemplate:
    name = _checked_name(name)
    if not points:
        raise ValidationError("select the points to keep as a template", "points")
    # Never lots (they belong to the day) nor notes (they belong to the patient).
    stored = [point_to_data(p) | {"lot": None, "lot_expiry": None, "notes": ""} for p in points]
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        _name_taken(session, name)
        template = ChartTemplate(
            name=name, name_key=fold(name), points=json.dumps(stored, ensure_ascii=False), created_by=db.actor
        )
        session.add(template)
        session.flush()
        record_event(session, db.actor, "create", "template", template.id, name=name, points=len(points))
        return carrying(SavedTemplate, _clinic_template(template), note(session, Changes(templates=True)))


def rename_template(db: Database, key: str, name: str) -> SavedTemplate:
    name = _checked_name(name)
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        row = _stored_row(session, key)
        if fold(name) != row.name_key:
            _name_taken(session, name)
        record_event(session, db.actor, "update", "template", row.id, name=[row.name, name])
        row.name, row.name_key = name, fold(name)
        return carrying(SavedTemplate, _clinic_template(row), note(session, Changes(templates=True)))


def delete_template(db: Database, key: str) -> Changes:
    """Remove a clinic template; charts it was applied to keep their points."""
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        row = _stored_row(session, key)
        record_event(session, db.actor, "delete", "template", row.id, name=row.name, points=row.points)
        session.delete(row)
        return note(session, Changes(templates=True))


def _clinic_template(row: ChartTemplate) -> ClinicTemplate:
    return ClinicTemplate(
        f"clinic-{row.id}", row.name, tuple(point_from_data(p) for p in json.loads(row.points))
    )


def clinic_templates(db: Database) -> list[ClinicTemplate]:
    with db.factory() as session:
        return [
            _clinic_template(row)
            for row in session.scalars(select(ChartTemplate).order_by(ChartTemplate.name_key))
        ]
