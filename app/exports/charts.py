"""A patient's whole chart read at once, for the files that carry all of it (the history
PDF, the patient file): the patient, and every visit oldest first with its injector,
points, products and lots, in a handful of queries whatever the number of visits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.services.patients import find_by_chart
from models.errors import NotFoundError
from models.tables import InjectionPoint, Patient, Visit


def whole_chart(session: Session, chart_number: str) -> tuple[Patient, Sequence[Visit]]:
    patient = find_by_chart(session, chart_number)
    if patient is None:
        raise NotFoundError(f"no patient with chart number {chart_number}")
    visits = session.scalars(
        select(Visit)
        .where(Visit.patient_id == patient.id)
        .order_by(Visit.started_at, Visit.id)
        .options(
            selectinload(Visit.provider),
            joinedload(Visit.cosign),  # to-one: in the same query
            selectinload(Visit.points).selectinload(InjectionPoint.product),
            selectinload(Visit.points).selectinload(InjectionPoint.lot),
        )
    ).all()
    return patient, visits
