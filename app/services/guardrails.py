"""Safety checks as a service: the clinic's guardrails (the bundled rules with the clinic's
changes to those whose source is a clinic setting) and what a visit needs to be checked
against them: the patient's other visits, allergies, and the products' kinds."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, carrying, note
from app.services.users import require
from app.services.visits import get_visit, local_date
from app.storage.database import Database
from models.accounts import Permission
from models.errors import NotFoundError, ValidationError
from models.guardrails import (
    Guardrails,
    PastVisit,
    Rule,
    SafetyWarning,
    bundled,
    evaluate,
    parse_override,
    with_overrides,
)
from models.records import ChartedPoint
from models.signed_content import superseded
from models.tables import AppMeta, InjectionPoint, Patient, Product, Visit

SETTINGS_KEY = "guardrail_settings"  # app_meta: {rule id: {field: value}}, the clinic's changes


def _overrides(session: Session) -> dict[str, Any]:
    stored = session.get(AppMeta, SETTINGS_KEY)
    try:
        value = json.loads(stored.value) if stored is not None else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def guardrails_in(session: Session) -> Guardrails:
    return with_overrides(bundled(), _overrides(session))


def load_guardrails(db: Database) -> Guardrails:
    with db.factory() as session:
        return guardrails_in(session)


def _rule(guardrails: Guardrails, rule_id: str) -> Rule:
    rule = next((r for r in guardrails.rules() if r.id == rule_id), None)
    if rule is None:
        raise NotFoundError(f"no guardrail {rule_id!r}; `aliquot guardrails` lists them")
    return rule


@dataclass(frozen=True)
class SavedRule(Rule):
    """A rule as the clinic's figures now make it, with what the change changed."""

    changes: Changes = field(default=NOTHING, compare=False)


def set_guardrail(db: Database, rule_id: str, field: str, text: str | None) -> SavedRule:
    """Change one field of a rule whose source is a clinic setting; text None restores the
    bundled value. Label rules cannot be changed."""
    rules = bundled()
    rule = _rule(rules, rule_id)
    if rule in rules.ceilings:
        raise ValidationError(
            f"{rule_id} is a hard ceiling against typing errors; it cannot be changed", "rule"
        )
    if not rule.editable:
        raise ValidationError(f"{rule_id} comes from the label ({rule.source}); it cannot be changed", "rule")
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        overrides = _overrides(session)
        values = dict(overrides.get(rule_id) or {})
        if text is None:
            values.pop(field, None)
        else:
            values[field] = parse_override(field, text)
        if values:
            overrides[rule_id] = values
        else:
            overrides.pop(rule_id, None)
        session.merge(AppMeta(key=SETTINGS_KEY, value=json.dumps(overrides, sort_keys=True)))
        record_event(session, db.actor, "change", "guardrail", rule_id, field=field, value=text)
        return carrying(
            SavedRule, _rule(guardrails_in(session), rule_id), note(session, Changes(guardrails=True))
        )


@dataclass(frozen=True)
class SafetyContext:
    """What a visit's points are checked against, read once (the editor re-checks on
    every change without touching the database)."""

    history: tuple[PastVisit, ...]  # the patient's other visits
    kinds: dict[str, str]  # product name -> kind
    allergies: str
    guardrails: Guardrails

    def warnings(
        self, points: Sequence[ChartedPoint], day: date, visit_id: int | None = None
    ) -> list[SafetyWarning]:
        """The warnings of a visit's points on that day; visit_id: leave it out of the history."""
        history = [v for v in self.history if v.id is None or v.id != visit_id]
        return evaluate(points, day, history, self.kinds, self.allergies, self.guardrails)


def context_in(session: Session, zone: ZoneInfo, patient_id: int, visit_id: int | None) -> SafetyContext:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFoundError(f"no patient with id {patient_id}")
    kinds = {name: kind.value for name, kind in session.execute(select(Product.name, Product.kind))}
    rows = session.execute(
        select(Visit.id, Visit.started_at, InjectionPoint, Product.name, Product.dose_unit)
        .join(InjectionPoint, InjectionPoint.visit_id == Visit.id)
        .join(Product, InjectionPoint.product_id == Product.id)
        .where(Visit.patient_id == patient_id, Visit.id != (visit_id or 0), ~superseded())
        .order_by(Visit.started_at, Visit.id, InjectionPoint.position)
    )
    days: dict[int, date] = {}
    points: dict[int, list[ChartedPoint]] = defaultdict(list)
    for visit, started_at, point, product, unit in rows:
        days[visit] = local_date(started_at, zone)
        points[visit].append(
            ChartedPoint(
                point.view, point.x, point.y, point.region_code, product, unit, point.amount, point.aliquots
            )
        )
    history = tuple(PastVisit(days[v], tuple(points[v]), v) for v in days)
    return SafetyContext(history, kinds, patient.allergies or "", guardrails_in(session))


def safety_context(db: Database, patient_id: int, visit_id: int | None) -> SafetyContext:
    with db.factory() as session:
        return context_in(session, db.timezone, patient_id, visit_id)


def visit_warnings(db: Database, visit_id: int) -> list[SafetyWarning]:
    """The safety warnings of a stored visit, as the rules stand today (for its record)."""
    visit = get_visit(db, visit_id)
    context = safety_context(db, visit.patient_id, visit.id)
    return context.warnings(visit.points, local_date(visit.started_at, db.timezone))
