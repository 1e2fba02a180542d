"""Patient use cases: create, edit, find, archive. Each call is one transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlalchemy import Integer, String, column, func, select
from sqlalchemy import table as sql_table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.services.audit import record_access, record_event
from app.services.changes import NOTHING, Changes, carrying, note
from app.services.users import require
from app.storage.database import Database
from models import search_index
from models.accounts import Permission
from models.errors import ConflictError, NotFoundError
from models.records import PatientDraft, PatientRecord
from models.tables import Patient
from models.text import fold
from models.validation import check_patient, identity_key

SEARCH_LIMIT = 200


@dataclass(frozen=True)
class SavedPatient(PatientRecord):
    """A patient as saved, with what saving changed."""

    changes: Changes = dataclasses.field(default=NOTHING, compare=False)


def patient_record(patient: Patient) -> PatientRecord:
    return PatientRecord(
        id=patient.id,
        chart_number=patient.chart_number,
        given_name=patient.given_name,
        family_name=patient.family_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        phone=patient.phone,
        email=patient.email,
        allergies=patient.allergies,
        medical_notes=patient.medical_notes,
        archived=patient.archived,
        alerts=patient.alerts,
    )


SEARCH_KEY_LENGTH = 400


def search_key(draft: PatientDraft | Patient) -> str:
    return fold(f"{draft.family_name} {draft.given_name} {draft.chart_number}")[:SEARCH_KEY_LENGTH]


def cleaned(draft: PatientDraft) -> PatientDraft:
    """The draft as it will be stored: one-line fields trimmed, empty contacts as None.
    Free-text fields (allergies, notes, alerts) are kept exactly as typed."""
    values = asdict(draft)
    for field in ("chart_number", "given_name", "family_name", "phone", "email"):
        if isinstance(values[field], str):
            values[field] = values[field].strip()
    values["phone"] = values["phone"] or None
    values["email"] = values["email"] or None
    return PatientDraft(**values)


def differing_fields(patient: Patient, draft: PatientDraft) -> list[str]:
    """Fields in which a stored patient and a (cleaned) draft disagree; a chart number in
    another letter case is the same chart number."""
    stored = asdict(patient_record(patient))
    stored["chart_number"] = identity_key(patient.chart_number)
    drafted = asdict(cleaned(draft))
    drafted["chart_number"] = identity_key(drafted["chart_number"])
    return [field for field, value in drafted.items() if stored[field] != value]


def _apply(patient: Patient, draft: PatientDraft) -> None:
    for field, value in asdict(cleaned(draft)).items():
        setattr(patient, field, value)
    patient.chart_key = identity_key(patient.chart_number)
    patient.search_key = search_key(patient)


def check_draft(draft: PatientDraft, stored_chart_number: str | None = None) -> None:
    """Every rule of a (cleaned) patient (models/validation.py check_patient)."""
    check_patient(draft, date.today(), stored_chart_number=stored_chart_number)


def chart_number_of(db: Database, patient_id: int) -> str:
    """A patient's chart number, from their id (a photo or a visit names the patient by id)."""
    with db.factory() as session:
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFoundError(f"no patient with id {patient_id}")
        return patient.chart_number


def find_by_chart(session: Session, chart_number: str) -> Patient | None:
    """The patient with this chart number in any letter case: A-0001 is a-0001."""
    return session.scalar(select(Patient).where(Patient.chart_key == identity_key(chart_number.strip())))


def add_patient(session: Session, actor: str, draft: PatientDraft) -> Patient:
    """Inside a caller's transaction (the import shares it)."""
    draft = cleaned(draft)
    check_draft(draft)
    clash = find_by_chart(session, draft.chart_number)
    if clash is not None:
        raise ConflictError(f"chart number {clash.chart_number} is already in use")
    patient = Patient()
    _apply(patient, draft)
    session.add(patient)
    session.flush()
    record_event(session, actor, "create", "patient", patient.id, chart_number=patient.chart_number)
    note(session, Changes.of_patients(patient.id))
    return patient


def create_patient(db: Database, draft: PatientDraft) -> SavedPatient:
    with db.factory.begin() as session:
        require(db, session, Permission.PATIENTS)
        patient = add_patient(session, db.actor, draft)
        return carrying(SavedPatient, patient_record(patient), Changes.of_patients(patient.id))


def update_patient(db: Database, patient_id: int, draft: PatientDraft) -> SavedPatient:
    draft = cleaned(draft)
    with db.factory.begin() as session:
        require(db, session, Permission.PATIENTS)
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFoundError(f"no patient with id {patient_id}")
        check_draft(draft, stored_chart_number=patient.chart_number)
        clash = find_by_chart(session, draft.chart_number)
        if clash is not None and clash.id != patient_id:
            raise ConflictError(f"chart number {clash.chart_number} is already in use")
        before = asdict(patient_record(patient))
        _apply(patient, draft)
        after = asdict(patient_record(patient))
        changed = sorted(k for k in after if after[k] != before[k])
        record_event(session, db.actor, "update", "patient", patient_id, fields=changed)
        return carrying(SavedPatient, patient_record(patient), note(session, Changes.of_patients(patient_id)))


def set_archived(db: Database, patient_id: int, archived: bool = True) -> SavedPatient:
    """Archived patients leave the everyday search but keep every record (retention)."""
    with db.factory.begin() as session:
        require(db, session, Permission.PATIENTS)
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFoundError(f"no patient with id {patient_id}")
        patient.archived = archived
        record_event(session, db.actor, "archive" if archived else "unarchive", "patient", patient_id)
        return carrying(SavedPatient, patient_record(patient), note(session, Changes.of_patients(patient_id)))


def get_patient(db: Database, chart_number: str) -> PatientRecord:
    with db.factory() as session:
        patient = find_by_chart(session, chart_number)
        if patient is None:
            raise NotFoundError(f"no patient with chart number {chart_number}")
        return patient_record(patient)


def _as_date(word: str) -> date | None:
    if len(word) != 10 or word[4] != "-":
        return None
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def suggest_chart_number(db: Database, prefix: str = "A-") -> str:
    """The next free chart number after the highest one with this prefix: A-0301.
    The database finds the highest (longest, then largest) instead of Python reading
    every chart number of the clinic."""
    with db.factory() as session:
        # On the keys: a-0300 holds A-0300 too, whatever case the prefix is typed in.
        key_prefix = identity_key(prefix)
        candidates = session.scalars(
            select(Patient.chart_key)
            .where(Patient.chart_key.startswith(key_prefix, autoescape=True))
            .order_by(func.length(Patient.chart_key).desc(), Patient.chart_key.desc())
            .limit(50)
        )
        for number in candidates:
            digits = number[len(key_prefix) :]
            if digits.isdigit():
                return f"{prefix}{int(digits) + 1:0{max(4, len(digits))}d}"
    return f"{prefix}{1:04d}"


def look_up_patients(
    db: Database, text: str, include_archived: bool = False, limit: int = SEARCH_LIMIT
) -> list[PatientRecord]:
    """A search a person asked for (the window's search box, `aliquot patients --search`):
    the patients found, and the search in the audit trail (it names patients)."""
    found = search_patients(db, text, include_archived, limit)
    if text.strip():
        record_access(db, "search", "patient", None, text=text.strip(), found=len(found))
    return found


def search_patients(
    db: Database, text: str = "", include_archived: bool = False, limit: int = SEARCH_LIMIT
) -> list[PatientRecord]:
    """Patients whose name or chart number contains every word typed, accents ignored,
    and born on any date typed as YYYY-MM-DD.

    "nunez zoe" finds Zoë Ångström-Núñez; ordered by family then given name, accents ignored.

    Words of 3 characters or more are looked up in the search index
    (models/search_index.py): the entries of one trigram, in search-key order, until a page
    is found. The time grows with the patients found, not with the clinic; the same LIKE
    decides, so the results are those of the plain scan.
    """
    words: list[str] = []
    born: list[date] = []
    for word in fold(text).split():
        day = _as_date(word)
        if day is not None:  # "1985-03-14": the date of birth
            born.append(day)
        else:
            words.append(word)
    query = select(*_RECORD_COLUMNS)  # plain rows, not ORM objects: a page costs less to read
    key: ColumnElement[str] = Patient.__table__.c.search_key
    order: ColumnElement[int] = Patient.__table__.c.id
    indexed = [word for word in words if len(word) >= search_index.MIN_WORD]
    with db.factory() as session:
        if indexed and db.is_sqlite and search_index.sqlite_index_exists(session.connection()):
            trigram = _rarest_trigram(session, indexed, limit)
            if trigram is None:
                return []
            entries = _TRIGRAMS.alias()
            query = query.join_from(entries, Patient, Patient.id == entries.c.patient_id).where(
                entries.c.trigram == trigram
            )
            key, order = entries.c.search_key, entries.c.patient_id  # the index's own order
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(key.like(f"%{escaped}%", escape="\\"))
        for day in born:
            query = query.where(Patient.date_of_birth == day)
        if not include_archived:
            query = query.where(Patient.archived.is_(False))
        query = query.order_by(key, order).limit(limit)
        return [_record(row) for row in session.connection().execute(query).all()]


_RECORD_FIELDS = [f.name for f in fields(PatientRecord)]
_RECORD_COLUMNS = [getattr(Patient, name) for name in _RECORD_FIELDS]


def _record(row: Sequence[object]) -> PatientRecord:
    """PatientRecord(*row), at half the cost: a frozen dataclass sets each field through
    object.__setattr__, and a page of search results is 200 of them per keystroke."""
    record = object.__new__(PatientRecord)
    record.__dict__.update(zip(_RECORD_FIELDS, row, strict=True))
    return record


_TRIGRAMS = sql_table(
    search_index.TRIGRAM_TABLE,
    column("trigram", String),
    column("search_key", String),
    column("patient_id", Integer),
)
COMMON_ENTRIES_PER_PAGE = 1  # a trigram with a page of entries is common: any such one will do


def _rarest_trigram(session: Session, words: list[str], limit: int) -> str | None:
    """The trigram of the words with the fewest index entries (counted up to a few pages:
    beyond that, any is common enough to fill a page soon); None when one has none."""
    pieces = list(dict.fromkeys(t for word in words for t in search_index.trigrams(word)))
    enough = max(1, limit) * COMMON_ENTRIES_PER_PAGE
    count = f"(SELECT count(*) FROM (SELECT 1 FROM {search_index.TRIGRAM_TABLE} WHERE trigram = ? LIMIT ?))"
    counts = (
        session.connection()
        .exec_driver_sql(
            "SELECT " + ", ".join([count] * len(pieces)),
            tuple(value for piece in pieces for value in (piece, enough)),
        )
        .one()
    )
    fewest = min(range(len(pieces)), key=lambda n: int(counts[n]))
    return pieces[fewest] if counts[fewest] else None
