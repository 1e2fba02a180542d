"""Asymmetry measured on a patient's photos, visit by visit (models/asymmetry.py does the
geometry): each frontal photo with its landmarks and iris placed gives its measures in mm,
the change from the previous visit's photo of the same pose, the smile excursion where a
visit has both a rest and a smile photo, and beside them the doses given per side at that
visit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.services.audit import record_event
from app.services.patients import find_by_chart
from app.services.visits import local_date, visit_record
from app.storage.database import Database
from models.asymmetry import (
    IRIS_DIAMETER_MM,
    Change,
    Midline,
    Paired,
    PhotoMeasurements,
    Scale,
    available,
    change,
    measure_photo,
    smile_excursion,
)
from models.errors import AliquotError, NotFoundError
from models.landmarks import Landmark, Landmarks
from models.tables import InjectionPoint, Photo, PhotoLandmarks, Visit
from models.totals import describe_pair, sided_rows, totals_by_paired_area
from models.vocabulary import Pose


@dataclass(frozen=True)
class PoseMeasurement:
    """One photo's measures (None, with the reason, until its landmarks are placed)."""

    photo_id: int
    visit_id: int
    visit_day: date
    pose: str
    measurements: PhotoMeasurements | None
    not_measured: str  # why there are no measurements ("" when there are)
    change: Change | None  # from the previous visit's photo of this pose
    smile_excursion: Paired | None  # on a smile photo, with that visit's rest photo
    doses_per_side: tuple[str, ...]  # that visit's paired areas: "Masseter: left 25 U, right 20 U"


def patient_asymmetry(
    db: Database, chart_number: str, iris_mm: float = IRIS_DIAMETER_MM
) -> list[PoseMeasurement]:
    """Every photo of the patient with its measures, visit by visit (oldest first)."""
    with db.audited_read() as session:
        patient = find_by_chart(session, chart_number)
        if patient is None:
            raise NotFoundError(f"no patient with chart number {chart_number}")
        rows = session.execute(
            select(Photo, PhotoLandmarks, Visit)
            .join(Visit, Visit.id == Photo.visit_id)
            .outerjoin(PhotoLandmarks, PhotoLandmarks.photo_id == Photo.id)
            .where(Visit.patient_id == patient.id)
            .order_by(Visit.started_at, Photo.id)
            .options(  # each visit's points read once for its doses per side, not visit by visit
                selectinload(Visit.points).selectinload(InjectionPoint.product),
                selectinload(Visit.points).selectinload(InjectionPoint.lot),
                selectinload(Visit.provider),
            )
        ).all()
        doses: dict[int, tuple[str, ...]] = {}
        results: list[PoseMeasurement] = []
        last_of_pose: dict[str, PhotoMeasurements] = {}
        rest_of_visit: dict[int, tuple[Landmarks, Scale]] = {}
        for photo, placed, visit in rows:
            if visit.id not in doses:
                doses[visit.id] = tuple(
                    f"{row.name}, {row.product_name}: {describe_pair(row)}"
                    for row in sided_rows(totals_by_paired_area(visit_record(visit).points))
                )
            measured, reason, landmarks, scale = _measure(photo, placed, iris_mm)
            excursion = None
            if measured is not None and landmarks is not None and scale is not None:
                if photo.pose == Pose.REST.value:
                    rest_of_visit[visit.id] = (landmarks, scale)
                elif photo.pose == Pose.SMILE.value and visit.id in rest_of_visit:
                    rest, rest_scale = rest_of_visit[visit.id]
                    try:
                        excursion = smile_excursion(rest, rest_scale, landmarks, scale)
                    except AliquotError:
                        excursion = None
            previous = last_of_pose.get(photo.pose)
            results.append(
                PoseMeasurement(
                    photo.id,
                    visit.id,
                    local_date(visit.started_at, db.timezone),
                    photo.pose,
                    measured,
                    reason,
                    change(previous, measured) if previous is not None and measured is not None else None,
                    excursion,
                    doses[visit.id],
                )
            )
            if measured is not None:
                last_of_pose[photo.pose] = measured
        record_event(session, db.actor, "view", "asymmetry", None, patient_id=patient.id, photos=len(rows))
        return results


def _measure(
    photo: Photo, placed: PhotoLandmarks | None, iris_mm: float
) -> tuple[PhotoMeasurements | None, str, Landmarks | None, Scale | None]:
    if placed is None:
        return None, "no landmarks placed", None, None
    if placed.iris_diameter_px is None:
        return None, "no iris diameter placed (it gives the scale in mm)", None, None
    try:
        landmarks = Landmarks.of(
            {key: (float(x), float(y)) for key, (x, y) in json.loads(placed.points).items()},
            photo.width,
            photo.height,
        )
        scale = Scale.from_iris(placed.iris_diameter_px, iris_mm)
        measures = available(landmarks)
        if not measures:
            return None, "not enough landmarks for any measure", landmarks, scale
        return (
            measure_photo(landmarks, scale, sorted(measures), midline=_midline(landmarks)),
            "",
            landmarks,
            scale,
        )
    except AliquotError as error:
        return None, str(error), None, None


def _midline(landmarks: Landmarks) -> Midline | None:
    """The midline deviation is measured when its landmarks are placed."""
    needed = (Landmark.PUPIL_L, Landmark.PUPIL_R, Landmark.LOWER_LIP_MID, Landmark.CHIN)
    return Midline.PUPILS if all(key in landmarks for key in needed) else None


def lines_of(measured: PoseMeasurement) -> list[str]:
    """A photo's measures in words, for the command line and the records."""
    lines = describe(measured)["lines"]
    assert isinstance(lines, list)
    return lines


def describe(measured: PoseMeasurement) -> dict[str, object]:
    """A photo's measures in words (`lines`) and as numbers (for `--json`), in mm; left and
    right are the patient's."""
    lines: list[str] = []
    numbers: dict[str, object] = {}
    result = measured.measurements
    if result is None:
        lines.append(f"not measured: {measured.not_measured}")
    else:
        previous = measured.change.paired if measured.change is not None else {}
        for kind, paired in result.paired.items():
            moved = previous.get(kind)
            since = f" (since the last visit: {_signed(moved.difference)} mm)" if moved is not None else ""
            lines.append(f"{kind.value}: {_sides(paired)}{since}")
            numbers[kind.value] = {
                "left": round(paired.left, 2),
                "right": round(paired.right, 2),
                "left_minus_right": round(paired.difference, 2),
                "change": round(moved.difference, 2) if moved is not None else None,
            }
        if result.midline is not None:
            lines.append(
                f"midline: lower lip {_toward(result.midline.lower_lip)}, chin {_toward(result.midline.chin)}"
            )
            numbers["midline"] = {
                "lower_lip": round(result.midline.lower_lip, 2),
                "chin": round(result.midline.chin, 2),
            }
    if measured.smile_excursion is not None:
        lines.append(f"smile excursion: {_sides(measured.smile_excursion)}")
        numbers["smile excursion"] = {
            "left": round(measured.smile_excursion.left, 2),
            "right": round(measured.smile_excursion.right, 2),
        }
    if measured.doses_per_side:
        lines.append("doses that visit: " + "; ".join(measured.doses_per_side))
    return {
        "photo": measured.photo_id,
        "visit": measured.visit_id,
        "day": measured.visit_day.isoformat(),
        "pose": measured.pose,
        "measures_mm": numbers,
        "doses_per_side": list(measured.doses_per_side),
        "lines": lines,
    }


def _sides(paired: Paired) -> str:
    side = paired.greater
    which = "even" if side is None else f"{side.value} greater by {abs(paired.difference):.1f} mm"
    return f"left {paired.left:.1f} mm, right {paired.right:.1f} mm — {which}"


def _toward(deviation: float) -> str:
    if abs(deviation) < 0.1:
        return "on the midline"
    return f"{abs(deviation):.1f} mm to the patient's {'left' if deviation > 0 else 'right'}"


def _signed(millimetres: float) -> str:
    """ "+2.0", "-0.4", and "0.0" for no change (never "-0.0")."""
    text = f"{millimetres:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text
