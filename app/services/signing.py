"""Signing a visit, co-signing it, and correcting it by an amendment.

Only a complete visit can be signed (`missing_for_signature`). Signing seals it: the
visit's canonical content read from its rows (models/signed_content.py), a snapshot of
what its record prints beside that content (the injector and signer as named that day,
the next-due dates worked out from this visit on its own date, the safety warnings
shown), and the SHA-256 of both, which also goes into the audit chain. From then on the
database refuses to change the visit's rows (models/integrity.py); a correction is an
amendment: a new visit that names the one it corrects and why, signed in its turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app.services.audit import record_event, record_events
from app.services.changes import Changes, carrying, note
from app.services.guardrails import context_in
from app.services.settings import recall_settings_in
from app.services.summary import facts_in
from app.services.users import require, require_charting
from app.services.visits import SavedVisit, _load_visit, local_date, visit_record
from app.storage.database import Database
from models.accounts import Permission
from models.audit_chain import canonical_json, content_hash, moment_text
from models.base import utcnow
from models.errors import ConflictError, PermissionRefused, ValidationError
from models.recall import next_due_lines, standing_items
from models.records import VisitRecord
from models.signed_content import read_records, record_of
from models.tables import InjectionPoint, Provider, UserAccount, Visit, VisitCosign
from models.validation import check_text
from models.vocabulary import Role, VisitStatus

UNKNOWN_SIGNER = "an unknown signer (imported)"


def _person(provider: Provider | None, role: str = "", username: str = "") -> dict[str, str]:
    if provider is None:
        return {"name": UNKNOWN_SIGNER, "credentials": "", "licence": "", "role": role, "username": username}
    return {
        "name": provider.display_name,
        "credentials": provider.credentials,
        "licence": provider.licence_number or "",
        "role": role,
        "username": username,
    }


def missing_for_signature(db: Database, session: Session, visit: Visit) -> list[str]:
    """What keeps a visit from being signed, in words (empty: it can be signed)."""
    missing = []
    for number, point in enumerate(visit.points, start=1):
        where = f"site {number} ({point.region_code.replace('_', ' ')})"
        if point.lot is None:
            missing.append(f"{where} has no lot number")
        elif point.lot.expiry is None:
            missing.append(f"{where}: lot {point.lot.number} has no expiry date")
    if not visit.consent_recorded:
        missing.append("consent is not recorded")
    if visit.provider is None or not visit.provider.display_name:
        missing.append("the injector is not set")
    warnings = _warnings(db, session, visit)
    if warnings and not visit.warning_reason.strip():
        missing.append(f"{len(warnings)} safety warning(s) without a reason: " + "; ".join(warnings))
    if visit.amends_visit_id is not None and not visit.amendment_reason.strip():
        missing.append("the amendment has no reason")
    return missing


def _warnings(db: Database, session: Session, visit: Visit) -> list[str]:
    record = visit_record(visit)
    context = context_in(session, db.timezone, visit.patient_id, visit.id)
    return [
        str(w) for w in context.warnings(record.points, local_date(visit.started_at, db.timezone), visit.id)
    ]


def due_after(db: Database, session: Session, visit: Visit) -> list[str]:
    """The next-due dates this visit sets, worked out on its own date from the chart as it
    stood then (never from later visits, nor from the day it is printed)."""
    review_days = recall_settings_in(session).review_days
    facts = facts_in(
        session, db.timezone, [visit.patient_id], before=visit.started_at + timedelta(microseconds=1)
    )
    day = local_date(visit.started_at, db.timezone)
    items = [item for item in standing_items(facts, review_days) if item.last_treated == day]
    return next_due_lines(items)


def seal(
    session: Session,
    visit: Visit,
    signer: dict[str, str],
    signed_at: datetime | None,
    snapshot: dict[str, Any],
) -> str:
    """Mark a complete visit signed with its content, snapshot and hash (one UPDATE of
    a draft: the lock applies from then on). Returns the content hash."""
    session.flush()
    record = record_of(session, visit.id)
    full = {**snapshot, "signer": signer, "signed_at": moment_text(signed_at) if signed_at else None}
    snapshot_text = canonical_json(full)
    digest = content_hash(record, snapshot_text)
    visit.status = VisitStatus.SIGNED
    visit.signed_at = signed_at
    visit.signer_role = signer["role"] or None
    visit.signed_record = record
    visit.signed_snapshot = snapshot_text
    visit.content_hash = digest
    session.flush()
    return digest


def _signing_user(db: Database, session: Session, permission: Permission) -> UserAccount:
    require(db, session, permission)
    if db.user is None:
        raise PermissionRefused(
            f"to {permission.value}, sign in: a signature names its signer"
            " (add the clinic's users first: aliquot users add NAME --role admin)"
        )
    user = session.get(UserAccount, db.user.id)
    if user is None or not user.active:
        raise PermissionRefused(f"the account {db.user.username!r} is disabled")
    return user


def sign_visit(db: Database, visit_id: int, expected_version: int | None = None) -> SavedVisit:
    """Sign and lock the visit as the signed-in injector or prescriber who charted it."""
    with db.factory.begin() as session:
        visit = sign_in_session(db, session, visit_id, expected_version)
        changes = note(session, Changes.of_patients(visit.patient_id))
        return carrying(SavedVisit, visit_record(_load_visit(session, visit.id)), changes)


def sign_in_session(
    db: Database, session: Session, visit_id: int, expected_version: int | None = None
) -> Visit:
    user = _signing_user(db, session, Permission.SIGN)
    visit = _load_visit(session, visit_id)
    if visit.status is VisitStatus.SIGNED:
        raise ConflictError(f"visit {visit_id} is already signed")
    if expected_version is not None and visit.version != expected_version:
        raise ConflictError("this visit was changed on another workstation since you opened it")
    if user.provider_id != visit.provider_id:
        raise PermissionRefused(
            f"visit {visit_id} was charted by {visit.provider.display_name}: only they can sign it"
        )
    missing = missing_for_signature(db, session, visit)
    if missing:
        raise ValidationError(f"visit {visit_id} cannot be signed yet: " + "; ".join(missing), "signature")
    snapshot = {
        "injector": _person(visit.provider),
        "next_due": due_after(db, session, visit),
        "warnings": _warnings(db, session, visit),
    }
    visit.signed_by_id = user.provider_id
    visit.signed_by_user_id = user.id
    digest = seal(session, visit, _person(user.provider, user.role.value, user.username), utcnow(), snapshot)
    record_event(
        session,
        db.actor,
        "sign",
        "visit",
        visit.id,
        patient_id=visit.patient_id,
        content_hash=digest,
        role=user.role.value,
    )
    return visit


def seal_imported(
    db: Database, session: Session, visit: Visit, signed_by: str | None, signed_at: datetime | None
) -> str:
    """A visit signed elsewhere, as the file says (signer and time if it names them)."""
    signer = _person(None)  # no account of this clinic: "imported" is printed beside the name
    if signed_by:
        signer["name"] = signed_by
    snapshot = {
        "injector": _person(visit.provider),
        "next_due": due_after(db, session, visit),
        "warnings": [],
    }
    digest = seal(session, visit, signer, signed_at, snapshot)  # no time in the file: none recorded
    record_event(
        session,
        db.actor,
        "sign",
        "visit",
        visit.id,
        patient_id=visit.patient_id,
        content_hash=digest,
        role="imported",
    )
    return digest


@dataclass(frozen=True)
class BulkSignature:
    """One visit of a bulk seal: who signed it and when, what its record printed."""

    patient_id: int
    user_id: int | None
    signer: dict[str, str]
    signed_at: datetime
    snapshot: dict[str, Any]


def seal_many(db: Database, session: Session, signatures: dict[int, BulkSignature]) -> None:
    """Sign many drafts at once (a demo clinic): read in one pass, updated and chained in
    batches. Each is sealed exactly as `seal` would."""
    if not signatures:
        return
    rows = []
    events: list[tuple[str, str, int, int | None, int | None, dict[str, object]]] = []
    where = Visit.id.between(min(signatures), max(signatures))
    for stored in read_records(session, where):
        signature = signatures.get(stored.visit_id)
        if signature is None:
            continue
        snapshot_text = canonical_json(
            {**signature.snapshot, "signer": signature.signer, "signed_at": moment_text(signature.signed_at)}
        )
        digest = content_hash(stored.record, snapshot_text)
        rows.append(
            {
                "visit_id": stored.visit_id,
                "signed_at": signature.signed_at,
                "signer_role": signature.signer["role"] or None,
                "signed_by_user_id": signature.user_id,
                "signed_record": stored.record,
                "signed_snapshot": snapshot_text,
                "content_hash": digest,
            }
        )
        events.append(
            (
                "sign",
                "visit",
                stored.visit_id,
                signature.patient_id,
                stored.visit_id,
                {"content_hash": digest, "role": signature.signer["role"]},
            )
        )
    statement = (
        update(Visit.__table__)  # type: ignore[arg-type]
        .where(Visit.__table__.c.id == bindparam("visit_id"))
        .values(
            status=VisitStatus.SIGNED.value,
            signed_at=bindparam("signed_at"),
            signer_role=bindparam("signer_role"),
            signed_by_user_id=bindparam("signed_by_user_id"),
            signed_record=bindparam("signed_record"),
            signed_snapshot=bindparam("signed_snapshot"),
            content_hash=bindparam("content_hash"),
        )
    )
    session.connection().execute(statement, rows)
    record_events(session, db.actor, events)


# Co-signing


def cosign_visit(db: Database, visit_id: int) -> VisitRecord:
    """A prescriber co-signs another's signed visit, as its content stands (by its hash)."""
    with db.factory.begin() as session:
        user = _signing_user(db, session, Permission.COSIGN)
        visit = _load_visit(session, visit_id)
        if visit.status is not VisitStatus.SIGNED or visit.content_hash is None:
            raise ConflictError(
                f"visit {visit_id} is not signed yet: it is co-signed after its injector signs it"
            )
        if visit.cosign is not None:
            raise ConflictError(f"visit {visit_id} is already co-signed")
        if visit.signed_by_user_id == user.id:
            raise PermissionRefused("a co-signature is another prescriber's: you signed this visit yourself")
        now = utcnow()
        session.add(
            VisitCosign(
                visit_id=visit.id,
                user_id=user.id,
                cosigner=canonical_json(_person(user.provider, user.role.value, user.username)),
                role=user.role.value,
                content_hash=visit.content_hash,
                cosigned_at=now,
            )
        )
        session.flush()
        record_event(
            session,
            db.actor,
            "co-sign",
            "visit",
            visit.id,
            patient_id=visit.patient_id,
            content_hash=visit.content_hash,
        )
        session.expire(visit, ["cosign"])
        return visit_record(_load_visit(session, visit.id))


@dataclass(frozen=True)
class AwaitingCosign:
    visit_id: int
    patient_id: int
    chart_number: str
    patient_name: str
    started_at: datetime
    injector: str
    signed_at: datetime | None


def awaiting_cosign(db: Database, limit: int = 500) -> list[AwaitingCosign]:
    """Signed visits of injectors (not prescribers) no prescriber has co-signed yet, oldest first."""
    from models.tables import Patient

    with db.factory() as session:
        rows = session.execute(
            select(
                Visit.id,
                Visit.patient_id,
                Patient.chart_number,
                Patient.given_name,
                Patient.family_name,
                Visit.started_at,
                Provider.display_name,
                Visit.signed_at,
            )
            .join(Patient, Patient.id == Visit.patient_id)
            .join(Provider, Provider.id == Visit.provider_id)
            .outerjoin(VisitCosign, VisitCosign.visit_id == Visit.id)
            .where(
                Visit.status == VisitStatus.SIGNED,
                Visit.signer_role == Role.INJECTOR.value,
                VisitCosign.id.is_(None),
            )
            .order_by(Visit.signed_at, Visit.id)
            .limit(limit)
        )
        return [
            AwaitingCosign(v, p, chart, f"{given} {family}", started, injector, signed)
            for v, p, chart, given, family, started, injector, signed in rows
        ]


# Amendments


def amendments_of(session: Session, visit_id: int) -> list[Visit]:
    """The amendments of a visit, oldest first (each may itself be amended)."""
    return list(
        session.scalars(
            select(Visit).where(Visit.amends_visit_id == visit_id).order_by(Visit.created_at, Visit.id)
        )
    )


def start_amendment(db: Database, visit_id: int, reason: str) -> SavedVisit:
    """A draft copy of a signed visit that corrects it: same patient, injector, time, fields
    and points, and the reason. The original stays as it was; the amendment, once signed,
    is the visit's current record."""
    with db.factory.begin() as session:
        copy = amendment_in_session(db, session, visit_id, reason)
        changes = note(session, Changes.of_patients(copy.patient_id))
        return carrying(SavedVisit, visit_record(_load_visit(session, copy.id)), changes)


_POINT_COLUMNS = (
    "position",
    "view",
    "x",
    "y",
    "region_code",
    "product_id",
    "lot_id",
    "package_id",  # the vial or syringe it was drawn from: the amendment counts in its stead
    "amount",
    "aliquots",
    "depth",
    "technique",
    "gauge",
    "notes",
)


def amendment_in_session(db: Database, session: Session, visit_id: int, reason: str) -> Visit:
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            "an amendment needs its reason (what was wrong and why it is corrected)", "reason"
        )
    check_text(reason, "reason", "reason", single_line=False)
    original = _load_visit(session, visit_id)
    require_charting(db, session, original.provider_id)
    if original.status is not VisitStatus.SIGNED:
        raise ConflictError(
            f"visit {visit_id} is a draft: change it directly, amendments are for signed visits"
        )
    newer = session.scalar(select(Visit.id).where(Visit.amends_visit_id == visit_id).limit(1))
    if newer is not None:
        raise ConflictError(f"visit {visit_id} is already amended by visit {newer}: amend that one")
    copy = Visit(
        patient_id=original.patient_id,
        provider_id=original.provider_id,
        started_at=original.started_at,
        status=VisitStatus.DRAFT,
        kind=original.kind,
        concern=original.concern,
        notes=original.notes,
        warning_reason=original.warning_reason,
        consent_recorded=original.consent_recorded,
        amends_visit_id=original.id,
        amendment_reason=reason,
        imported=original.imported,  # given elsewhere: its correction draws on no vial or stock either
    )
    session.add(copy)
    session.flush()
    for point in original.points:
        session.add(InjectionPoint(visit_id=copy.id, **{c: getattr(point, c) for c in _POINT_COLUMNS}))
    session.flush()
    record_event(
        session,
        db.actor,
        "amend",
        "visit",
        copy.id,
        patient_id=copy.patient_id,
        amends=original.id,
        reason=reason,
    )
    session.expire(copy)
    return copy


def describe_amendment(original: VisitRecord, amended: VisitRecord) -> list[str]:
    """What an amendment changed, in words: fields, then sites removed and added."""
    changes = []
    for label, before, after in (
        ("time", original.started_at, amended.started_at),
        ("injector", original.provider_name, amended.provider_name),
        ("concern", original.concern, amended.concern),
        ("notes", original.notes, amended.notes),
        ("consent", original.consent_recorded, amended.consent_recorded),
        ("warning reason", original.warning_reason, amended.warning_reason),
    ):
        if before != after:
            changes.append(f"{label} changed")
    was = [_site_words(p) for p in original.points]
    now = [_site_words(p) for p in amended.points]
    for words in was:
        if words in now:
            now.remove(words)
        else:
            changes.append(f"removed {words}")
    changes += [f"added {words}" for words in now]
    return changes or ["no change to the content"]


def _site_words(point: Any) -> str:
    from models.amounts import format_dose

    lot = f" lot {point.lot_number}" if point.lot_number else ""
    return (
        f"{point.region_code.replace('_', ' ')} {point.product_name}{lot}"
        f" {format_dose(point.amount, point.unit)} in {point.aliquots}"
    )


@dataclass(frozen=True)
class AmendmentNote:
    """One link of a visit's amendment trail: which visit corrects which, why, by whom."""

    original_id: int
    original_started_at: datetime
    amendment_id: int
    reason: str
    by: str  # the amendment's signer, or "not signed yet"
    signed_at: datetime | None
    changes: tuple[str, ...]


def amendment_trail(db: Database, visit_id: int) -> list[AmendmentNote]:
    """Every amendment of the chain this visit belongs to, oldest first: what it corrected
    and what corrected it (empty for a visit never amended)."""
    with db.factory() as session:
        visit = _load_visit(session, visit_id)
        while visit.amends_visit_id is not None:
            visit = _load_visit(session, visit.amends_visit_id)
        trail: list[AmendmentNote] = []
        while True:
            later = session.scalar(
                select(Visit.id).where(Visit.amends_visit_id == visit.id).order_by(Visit.id).limit(1)
            )
            if later is None:
                return trail
            amendment = _load_visit(session, later)
            before, after = visit_record(visit), visit_record(amendment)
            signature = after.signature
            trail.append(
                AmendmentNote(
                    visit.id,
                    visit.started_at,
                    amendment.id,
                    amendment.amendment_reason,
                    signature.signer.shown if signature else "not signed yet",
                    signature.signed_at if signature else None,
                    tuple(describe_amendment(before, after)),
                )
            )
            visit = amendment


def signing_check(db: Database, visit_id: int) -> list[str]:
    """What keeps this visit from being signed now, in words (empty: it can be signed)."""
    with db.factory() as session:
        return missing_for_signature(db, session, _load_visit(session, visit_id))
