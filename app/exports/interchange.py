"""The patient interchange format, aliquot.patient/1 (docs/interchange.md).

Export writes one JSON document per patient. Import takes such a document all-or-nothing:
every field is checked with the charting rules, any fault is reported with the file,
visit and field at fault, and the database is left exactly as it was. Importing the same
document twice changes nothing (patients match on chart number, visits on external id).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exports.charts import whole_chart
from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, note, noted
from app.services.guardrails import context_in
from app.services.patients import add_patient, cleaned, differing_fields, find_by_chart
from app.services.providers import find_or_add_provider
from app.services.signing import UNKNOWN_SIGNER, amendment_in_session, seal_imported, sign_in_session
from app.services.users import require
from app.services.visits import (
    ProductLookup,
    build_point,
    charted_point,
    check_points_together,
    local_date,
    signature_of,
    visit_record,
)
from app.storage.database import Database, explain_driver_error
from app.storage.files import check_output_file, write_atomically
from models.accounts import Permission
from models.amounts import amount_from_data
from models.errors import AliquotError, ConflictError, DatabaseError, NotFoundError, ValidationError
from models.point_fields import (
    LOT_FIELDS,
    LOT_KEYS,
    POINT_FIELDS,
    POINT_KEYS,
    REQUIRED_LOT_KEYS,
    REQUIRED_POINT_KEYS,
    Kind,
    PointField,
    point_document,
)
from models.records import PatientDraft, PointDraft, VisitRecord
from models.tables import InjectionPoint, Patient, Visit
from models.text import fold
from models.validation import (
    Choice,
    UnknownChoice,
    check_choice,
    check_length,
    check_text,
    check_visit_time,
    identity_key,
    required_choice,
)
from models.vocabulary import Sex, VisitKind, VisitStatus

FORMAT = "aliquot.patient/1"
FORMAT_FAMILY = "aliquot.patient/"

DOCUMENT_KEYS = {"format", "patient", "visits"}
PATIENT_KEYS = {
    "chart_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "allergies",
    "notes",
    "alerts",
}
VISIT_KEYS = {
    "external_id",
    "started_at",
    "provider",
    "status",
    "kind",
    "concern",
    "notes",
    "consent",
    "points",
    "signed_by",  # who signed a signed visit, and when: optional (files without them stay valid)
    "signed_at",
}
PROVIDER_KEYS = {"name", "credentials"}


# ---------------------------------------------------------------- export


def _iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _visit_document(visit: Visit) -> dict[str, Any]:
    document = {
        "external_id": visit.external_id,
        "started_at": _iso_utc(visit.started_at),
        "provider": {"name": visit.provider.display_name, "credentials": visit.provider.credentials},
        "status": visit.status.value,
        "concern": visit.concern,
        "notes": visit.notes,
        "consent": visit.consent_recorded,
        "points": [point_document(charted_point(p)) for p in visit.points],
    }
    if visit.kind is VisitKind.REVIEW:  # absent means a treatment: such files stay as they were
        document["kind"] = visit.kind.value
    signature = signature_of(visit)
    if signature is not None and signature.signer.name != UNKNOWN_SIGNER:
        document["signed_by"] = signature.signer.shown
    if signature is not None and signature.signed_at is not None:
        document["signed_at"] = _iso_utc(signature.signed_at)
    return document


def _patient_document(patient: Patient) -> dict[str, Any]:
    document = {
        "chart_number": patient.chart_number,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "sex": patient.sex.value,
        "phone": patient.phone,
        "email": patient.email,
        "allergies": patient.allergies,
        "notes": patient.medical_notes,
    }
    if patient.alerts:  # absent means none: a file without alerts is read by older versions too
        document["alerts"] = patient.alerts
    return document


def export_patient(db: Database, chart_number: str) -> dict[str, Any]:
    with db.audited_read() as session:
        patient, visits = whole_chart(session, chart_number)
        document = {
            "format": FORMAT,
            "patient": _patient_document(patient),
            "visits": [_visit_document(v) for v in visits],
        }
        # An export is a disclosure of health information: it goes in the audit trail.
        record_event(session, db.actor, "export", "patient", patient.id, visits=len(visits))
        return document


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_patient_file(db: Database, chart_number: str, path: Path, replace: bool = False) -> Path:
    """One patient's file, written whole or not at all; the path is refused before the
    chart is read, so nothing is half-done. An existing file is replaced only if `replace`."""
    check_output_file(path, replace=replace)
    write_atomically(path, dumps(export_patient(db, chart_number)), replace=replace)
    return path


# ---------------------------------------------------------------- import


class _Where:
    """Where in the document a value came from, for error messages."""

    def __init__(self, *parts: str):
        self.parts = parts

    def __truediv__(self, part: str) -> _Where:
        return _Where(*self.parts, part)

    def fail(self, message: str) -> ValidationError:
        return ValidationError(
            f"{', '.join(self.parts)}: {message}" if self.parts else message,
            self.parts[-1] if self.parts else None,
        )


def _object(value: Any, keys: set[str], where: _Where, required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.fail("must be an object")
    unknown = sorted(set(value) - keys)
    if unknown:
        raise where.fail(f"unknown field {unknown[0]!r} (this is format {FORMAT})")
    missing = sorted(required - set(value))
    if missing:
        raise where.fail(f"field {missing[0]!r} is missing")
    return value


def _text(value: Any, where: _Where, optional: bool = True, single_line: bool = True) -> str:
    """Text from the file, refused if it holds what no person types (control characters,
    broken characters) or, for one-line fields, line breaks and invisible characters."""
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise where.fail("must be text")
    field = where.parts[-1]
    try:
        check_text(value, field, field.replace("_", " "), single_line)
    except ValidationError as error:
        raise where.fail(str(error)) from None
    return value


def _free_text(value: Any, where: _Where) -> str:
    """Notes, concerns, allergies: several lines and tabs are kept as written."""
    return _text(value, where, single_line=False)


def _date(value: Any, where: _Where) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(_text(value, where, optional=False))
    except ValueError:
        raise where.fail(f"{value!r} is not a date like 2025-01-31") from None


def _moment(value: Any, where: _Where) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value, where, optional=False))
    except ValueError:
        raise where.fail(f"{value!r} is not a time like 2025-01-10T10:00:00+00:00") from None
    if moment.tzinfo is None:
        raise where.fail(f"{value!r} has no time zone (add +00:00 or the clinic's offset)")
    return moment


MESSAGE_LIMIT = 500  # characters: room for a long path and the longest message


def one_line(text: str) -> str:
    """A message as one short line whatever the file held: invisible and control
    characters (a newline in a name, half a surrogate pair) spelled as escapes, and a very
    long value cut in the middle so that the start (file, visit, field) and the end
    (what is wrong) both stay."""
    text = "".join(
        c if c.isprintable() else c.encode("unicode_escape", "backslashreplace").decode("ascii") for c in text
    )
    if len(text) > MESSAGE_LIMIT:
        head = MESSAGE_LIMIT * 2 // 3
        text = f"{text[:head]} … {text[-(MESSAGE_LIMIT - head - 3) :]}"
    return text


def _shown(value: Any) -> str:
    """A value from the file as the file spells it: null, [], "text"."""
    return json.dumps(value, ensure_ascii=False)


def _choice(value: Any, vocabulary: type[Choice], where: _Where) -> Choice:
    """A word of a closed vocabulary, told back as the file spells it."""
    try:
        return required_choice(value, vocabulary, where.parts[-1])
    except UnknownChoice as error:
        raise where.fail(f"{_shown(value)} is not one of: {error.known}") from None


def _patient_draft(value: Any, where: _Where) -> PatientDraft:
    data = _object(value, PATIENT_KEYS, where, {"chart_number", "given_name", "family_name"})
    return cleaned(
        PatientDraft(
            chart_number=_text(data["chart_number"], where / "chart_number", optional=False),
            given_name=_text(data["given_name"], where / "given_name", optional=False),
            family_name=_text(data["family_name"], where / "family_name", optional=False),
            date_of_birth=_date(data.get("date_of_birth"), where / "date_of_birth"),
            sex=_choice(data.get("sex", "unknown"), Sex, where / "sex"),
            phone=_text(data.get("phone"), where / "phone"),
            email=_text(data.get("email"), where / "email"),
            allergies=_free_text(data.get("allergies"), where / "allergies"),
            medical_notes=_free_text(data.get("notes"), where / "notes"),
            alerts=_free_text(data.get("alerts"), where / "alerts"),
        )
    )


def _amount(value: Any, where: _Where) -> Decimal:
    try:
        return amount_from_data(value)
    except ValidationError as error:
        raise where.fail(str(error)) from None


def _point_value(field: PointField, value: Any, where: _Where, required: bool | None = None) -> Any:
    """One field of a point (models/point_fields.py) as the file gives it, checked as text,
    amount, date or vocabulary word; numbers are checked with the point (build_point)."""
    required = field.required if required is None else required
    if field.kind in (Kind.NUMBER, Kind.COUNT):
        return value
    if field.kind is Kind.AMOUNT:
        return _amount(value, where) if value is not None or required else None
    if field.kind is Kind.DATE:
        return _date(value, where)
    if field.kind is Kind.FREE_TEXT:
        return _free_text(value, where)
    text = _text(value, where, optional=not required)
    if field.kind is Kind.CHOICE:
        assert field.vocabulary is not None
        try:
            return check_choice(text, field.vocabulary, field.key, optional=not required)
        except ValidationError as error:
            raise where.fail(str(error)) from None
    return text  # the unit stays as written: it is checked against the product's


def _point_draft(value: Any, where: _Where) -> PointDraft:
    data = _object(value, set(POINT_KEYS), where, set(REQUIRED_POINT_KEYS))
    values: dict[str, Any] = {}
    if data.get("lot") is not None:
        lot = _object(data["lot"], set(LOT_KEYS), where / "lot", set(REQUIRED_LOT_KEYS))
        for field in LOT_FIELDS:
            key = str(field.lot_key)
            values[field.attribute] = _point_value(
                field, lot.get(key), where / "lot" / key, required=key in REQUIRED_LOT_KEYS
            )
        values["lot_number"] = values["lot_number"].strip()
    for field in POINT_FIELDS:
        if field.lot_key is None:
            values[field.attribute] = _point_value(
                field, data.get(field.key, field.default), where / field.key
            )
    return PointDraft(**values)


@dataclass(frozen=True)
class ImportResult:
    source: str
    chart_number: str
    patient_created: bool
    visits_added: int
    visits_unchanged: int
    # The safety warnings of the visits added, one line each ("warning: A-0001 2025-03-02: …").
    warnings: tuple[str, ...] = ()
    changes: Changes = field(default=NOTHING, compare=False)  # what the import changed

    def describe(self, source: str | None = None) -> str:
        what = "new patient" if self.patient_created else "existing patient"
        added = f"{self.visits_added} visit{'' if self.visits_added == 1 else 's'} added"
        return one_line(
            f"{source or self.source}: {self.chart_number} ({what}): {added},"
            f" {self.visits_unchanged} already present"
        )


def import_document(db: Database, document: Any, source: str = "<document>") -> ImportResult:
    """Import one patient document in one transaction; nothing is stored if any part is wrong."""
    try:
        with db.factory.begin() as session:
            return _Importer(session, db, source).run(document)
    except AliquotError as error:
        raise type(error)(one_line(f"{source}: {error}")) from None
    except sa_exc.DBAPIError as error:
        raise DatabaseError(one_line(f"{source}: {explain_driver_error(db.name, error)}")) from None


class _Importer:
    def __init__(self, session: Session, db: Database, source: str):
        self.session, self.db, self.source = session, db, source
        self.lookup = ProductLookup(session)
        self.added_visits: list[Visit] = []
        self.to_seal: list[tuple[Visit, str | None, datetime | None]] = []  # signed in the file

    def run(self, document: Any) -> ImportResult:
        root = _Where()
        if not isinstance(document, dict):
            raise root.fail("this is not an Aliquot patient file (expected a JSON object)")
        version = document.get("format")
        if version != FORMAT:
            if isinstance(version, str) and version.startswith(FORMAT_FAMILY):
                raise root.fail(f"format {version} was written by a newer Aliquot; this one reads {FORMAT}")
            if version is None:
                raise root.fail(f'this is not an Aliquot patient file (no "format": {FORMAT})')
            raise root.fail(
                f"this is not an Aliquot patient file (format {_shown(version)}, expected {FORMAT})"
            )
        _object(document, DOCUMENT_KEYS, root, DOCUMENT_KEYS)
        require(self.db, self.session, Permission.IMPORT)
        draft = _patient_draft(document["patient"], _Where("patient"))
        if not isinstance(document["visits"], list):
            raise _Where("visits").fail("must be a list")

        patient = find_by_chart(self.session, draft.chart_number)
        created = patient is None
        if patient is None:
            try:
                patient = add_patient(self.session, self.db.actor, draft)
            except ValidationError as error:
                raise _Where("patient", error.field or "").fail(str(error)) from None
        else:
            differing = differing_fields(patient, draft)
            if differing:
                raise ConflictError(
                    f"chart {patient.chart_number} is already {patient.given_name} {patient.family_name}"
                    f" in this database, and the file differs in {', '.join(differing)};"
                    " nothing was imported"
                )

        added = unchanged = 0
        seen: set[str] = set()  # identity keys: v1 and V1 are one visit
        for index, raw_visit in enumerate(document["visits"], start=1):
            where = _Where(f"visit {index}")
            data = _object(raw_visit, VISIT_KEYS, where, {"external_id", "started_at", "provider", "points"})
            external_id = _text(data["external_id"], where / "external_id", optional=False).strip()
            if not external_id:
                raise (where / "external_id").fail("must not be empty")
            try:
                check_length(external_id, 120, "external_id", "external id")
            except ValidationError as error:
                raise (where / "external_id").fail(str(error)) from None
            where = _Where(f"visit {external_id!r}")
            if identity_key(external_id) in seen:
                raise where.fail("appears twice in the file")
            seen.add(identity_key(external_id))
            if self._visit(patient, external_id, data, where):
                added += 1
            else:
                unchanged += 1
        if added:
            self.session.flush()
            # In the order they happened: each one's next-due dates see the visits before it.
            for visit, signed_by, signed_at in sorted(self.to_seal, key=lambda v: v[0].started_at):
                seal_imported(self.db, self.session, visit, signed_by, signed_at)
            note(self.session, Changes.of_patients(patient.id))
        record_event(
            self.session,
            self.db.actor,
            "import",
            "patient",
            patient.id,
            source=one_line(Path(self.source).name),
            created=created,
            visits_added=added,
            visits_unchanged=unchanged,
        )
        return ImportResult(
            self.source,
            patient.chart_number,
            created,
            added,
            unchanged,
            self._warnings(patient),
            noted(self.session),
        )

    def _warnings(self, patient: Patient) -> tuple[str, ...]:
        """Historic records are imported as they were charted; what the safety checks would
        have said is told, one line per warning (hard ceilings were refused already)."""
        if not self.added_visits:
            return ()
        context = context_in(self.session, self.db.timezone, patient.id, None)
        lines = []
        for visit in sorted(self.added_visits, key=lambda v: (v.started_at, v.id)):
            day = local_date(visit.started_at, self.db.timezone)
            for warning in context.warnings([charted_point(p) for p in visit.points], day, visit.id):
                lines.append(one_line(f"warning: {patient.chart_number} {day.isoformat()}: {warning}"))
        return tuple(lines)

    def _visit(self, patient: Patient, external_id: str, data: dict[str, Any], where: _Where) -> bool:
        """Store one visit; False if the chart already holds exactly this visit."""
        started_at = _moment(data["started_at"], where / "started_at")
        try:
            check_visit_time(started_at, datetime.now(UTC))
        except ValidationError as error:
            raise (where / "started_at").fail(str(error)) from None
        provider_data = _object(data["provider"], PROVIDER_KEYS, where / "provider", {"name"})
        provider_name = _text(provider_data["name"], where / "provider" / "name", optional=False)
        credentials = _text(provider_data.get("credentials"), where / "provider" / "credentials")
        status = _choice(data.get("status", "draft"), VisitStatus, where / "status")
        signed_by = _text(data.get("signed_by"), where / "signed_by") or None
        signed_at = (
            _moment(data["signed_at"], where / "signed_at") if data.get("signed_at") is not None else None
        )
        if status is not VisitStatus.SIGNED and (signed_by or signed_at):
            raise where.fail("signed_by and signed_at belong to a signed visit; this one is a draft")
        kind = _choice(data.get("kind", VisitKind.TREATMENT.value), VisitKind, where / "kind")
        consent = data.get("consent", False)
        if not isinstance(consent, bool):
            raise (where / "consent").fail("must be true or false")
        if not isinstance(data["points"], list):
            raise (where / "points").fail("must be a list")
        concern = _free_text(data.get("concern"), where / "concern")
        notes = _free_text(data.get("notes"), where / "notes")
        drafts = [_point_draft(p, where / f"point {i}") for i, p in enumerate(data["points"], start=1)]
        points = self._points(drafts, local_date(started_at, self.db.timezone), where)

        existing = self.session.scalar(
            select(Visit).where(
                Visit.patient_id == patient.id, Visit.external_key == identity_key(external_id)
            )
        )
        incoming = {
            "started_at": started_at,
            "provider": fold(provider_name),
            "status": status,
            "kind": kind,
            "concern": concern,
            "notes": notes,
            "consent": consent,
            "points": [_point_facts(p) for p in points],
        }
        if existing is not None:
            stored = {
                "started_at": existing.started_at,
                "provider": existing.provider.name_key,
                "status": existing.status,
                "kind": existing.kind,
                "concern": existing.concern,
                "notes": existing.notes,
                "consent": existing.consent_recorded,
                "points": [_point_facts(p) for p in existing.points],
            }
            differing = [_VISIT_FACTS[key] for key in incoming if incoming[key] != stored[key]]
            if differing:
                raise ConflictError(
                    f"{where.parts[0]} is already in this chart with different"
                    f" {', '.join(differing)}; the stored visit was not changed and nothing was imported"
                )
            return False

        try:
            provider = find_or_add_provider(self.session, self.db.actor, provider_name, credentials)
        except ValidationError as error:
            raise (where / "provider").fail(str(error)) from None
        visit = Visit(
            patient=patient,
            provider=provider,
            started_at=started_at,
            status=VisitStatus.DRAFT,  # a signed one is sealed once its points are in
            imported=True,  # given elsewhere: takes nothing from this clinic's stock
            kind=kind,
            concern=concern,
            notes=notes,
            consent_recorded=consent,
            external_id=external_id,
        )
        self.session.add(visit)
        visit.points.extend(points)
        self.session.flush()
        self.added_visits.append(visit)
        if status is VisitStatus.SIGNED:
            self.to_seal.append((visit, signed_by, signed_at))
        return True

    def _points(self, drafts: list[PointDraft], visit_date: date, where: _Where) -> list[InjectionPoint]:
        points = []
        for position, draft in enumerate(drafts, start=1):
            try:
                points.append(build_point(self.lookup, draft, visit_date, position))
            except ValidationError as error:
                raise (where / f"point {position}" / (error.field or "point")).fail(str(error)) from None
        try:
            check_points_together(points)
        except ValidationError as error:
            raise where.fail(str(error)) from None
        return points


_VISIT_FACTS = {
    "started_at": "time",
    "provider": "provider",
    "status": "status",
    "kind": "kind",
    "concern": "concern",
    "notes": "notes",
    "consent": "consent",
    "points": "injection points",
}


def _point_facts(point: InjectionPoint) -> tuple[object, ...]:
    """What a charted point says clinically, for comparing a stored visit with a file's."""
    return (
        point.view,
        point.x,
        point.y,
        point.region_code,
        point.product.id,
        point.lot.id if point.lot else None,
        point.amount,
        point.aliquots,
        point.depth,
        point.technique,
        point.gauge,
        point.notes,
    )


def read_document(path: Path) -> Any:
    """The parsed file; any refusal is one line naming the file."""
    try:
        return _read_document(path)
    except AliquotError as error:
        raise type(error)(one_line(str(error))) from None


def _read_document(path: Path) -> Any:
    try:
        # utf-8-sig: files saved by Windows Notepad begin with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValidationError(f"{path} is a folder; give the patient files inside it") from None
    except PermissionError:
        raise ValidationError(f"{path}: permission to read it was refused") from None
    except UnicodeDecodeError:
        raise ValidationError(f"{path}: not UTF-8 text; save it as UTF-8 and try again") from None
    except OSError as error:
        raise ValidationError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return json.loads(text, object_pairs_hook=_object_once, parse_constant=_no_constant)
    except _NotFaithful as error:
        raise ValidationError(f"{path}: {error}") from None
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    except RecursionError:
        raise ValidationError(
            f"{path}: not an Aliquot patient file (lists or objects nested thousands deep)"
        ) from None
    except ValueError:  # an integer longer than Python converts (4300 digits)
        raise ValidationError(f"{path}: holds a number thousands of digits long; no record has one") from None


class _NotFaithful(Exception):
    """JSON that parses but does not say one thing: refused while reading."""


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys appear once: {"amount": "4", "amount": "40"} is refused,
    where json would silently keep the last."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _NotFaithful(
                f"{_shown(key)} is given twice in one object; a field may appear"
                " only once, or no one can tell which value is meant"
            )
        document[key] = value
    return document


def _no_constant(name: str) -> Any:
    raise _NotFaithful(f"{name} is not a value JSON allows; write a number, or null for none")


def import_files(
    db: Database, paths: list[Path], report: Callable[[ImportResult], None] | None = None
) -> list[ImportResult]:
    """Import each file on its own: a bad file stops the run; files before it stay imported."""
    results = []
    for path in paths:
        result = import_document(db, read_document(path), str(path))
        results.append(result)
        if report is not None:
            report(result)
    return results


@dataclass(frozen=True)
class ImportRun:
    """What an import of several files did: the files imported, and the one that stopped it."""

    imported: list[ImportResult]
    refused: str | None = None  # why the run stopped (the file is named in the message)

    def describe(self) -> str:
        lines = [
            line
            for result in self.imported
            for line in (result.describe(Path(result.source).name), *result.warnings)
        ]
        if self.refused:
            lines.append(f"Stopped: {self.refused}")
            lines.append(
                "The files before it are imported. Correct that file and import it again:"
                " what is already stored is recognised, never doubled."
            )
        return "\n".join(lines) or "No files were imported."


def import_files_until_refused(db: Database, paths: list[Path]) -> ImportRun:
    """import_files for the window: the files imported and the refusal, both told."""
    imported: list[ImportResult] = []
    try:
        import_files(db, paths, imported.append)
    except AliquotError as error:
        return ImportRun(imported, str(error))
    return ImportRun(imported)


def amend_from_file(db: Database, visit_id: int, reason: str, path: Path) -> VisitRecord:
    """`aliquot amend VISIT --reason TEXT FILE.json`: the file's one visit (of the same
    patient) corrects the signed visit; the amendment is made and signed in one
    transaction, so a refusal (an incomplete visit, a wrong file) changes nothing."""
    document = read_document(path)
    source = path.name
    try:
        with db.factory.begin() as session:
            root = _Where()
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise root.fail(f"this is not an Aliquot patient file ({FORMAT})")
            _object(document, DOCUMENT_KEYS, root, DOCUMENT_KEYS)
            chart = _patient_draft(document["patient"], _Where("patient")).chart_number
            visits = document["visits"]
            if not isinstance(visits, list) or len(visits) != 1:
                raise _Where("visits").fail("an amendment file holds exactly one visit: the corrected one")
            where = _Where("visit 1")
            data = _object(visits[0], VISIT_KEYS, where, {"external_id", "started_at", "provider", "points"})
            amendment = amendment_in_session(db, session, visit_id, reason)
            patient = session.get_one(Patient, amendment.patient_id)
            if find_by_chart(session, chart) is not patient:
                raise (_Where("patient") / "chart_number").fail(
                    f"visit {visit_id} is in chart {patient.chart_number}, not {chart}"
                )
            started_at = _moment(data["started_at"], where / "started_at")
            provider_data = _object(data["provider"], PROVIDER_KEYS, where / "provider", {"name"})
            provider = find_or_add_provider(
                session,
                db.actor,
                _text(provider_data["name"], where / "provider" / "name", optional=False),
                _text(provider_data.get("credentials"), where / "provider" / "credentials"),
            )
            consent = data.get("consent", False)
            if not isinstance(consent, bool):
                raise (where / "consent").fail("must be true or false")
            drafts = [_point_draft(p, where / f"point {i}") for i, p in enumerate(data["points"], start=1)]
            importer = _Importer(session, db, source)
            points = importer._points(drafts, local_date(started_at, db.timezone), where)
            if not amendment.imported:  # drawn from this clinic's vials and syringes, as a save is
                from app.services.packages import draw_points

                draw_points(session, points, started_at, amendment.id, db.timezone)
            amendment.started_at = started_at
            amendment.provider = provider
            amendment.concern = _free_text(data.get("concern"), where / "concern")
            amendment.notes = _free_text(data.get("notes"), where / "notes")
            amendment.consent_recorded = consent
            amendment.points.clear()
            session.flush()
            amendment.points.extend(points)
            session.flush()
            signed = sign_in_session(db, session, amendment.id)
            note(session, Changes.of_patients(patient.id))
            return visit_record(signed)
    except AliquotError as error:
        raise type(error)(one_line(f"{source}: {error}")) from None
