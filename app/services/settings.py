"""The clinic's settings, declared once with their types and defaults, and read tolerantly.

Each setting is a frozen dataclass stored as JSON in `app_meta` under its key (the time
zone is a plain zone name). Reading never fails on what another version wrote: a key a
newer Aliquot added is kept (it round-trips when this version saves) and otherwise
ignored, a missing key takes its default, and a value of the wrong type takes the default
(and is logged) instead of stopping the program. Saving a setting returns what it changed.
"""

from __future__ import annotations

import json
import logging
import types
import typing
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import TYPE_CHECKING, Any, TypeVar, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import Changes, note
from app.services.users import require
from models.accounts import IDLE_LOCK_MINUTES, Permission
from models.errors import ValidationError
from models.recall import RecallSettings
from models.tables import AppMeta
from models.validation import check_length

if TYPE_CHECKING:  # the database module reads the zone from here when it opens
    from app.storage.database import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

TIMEZONE_KEY = "clinic_timezone"  # the clinic's zone name: it decides every visit's calendar day
RECALL_KEY = "recall_settings"  # RecallSettings as JSON
PROFILE_KEY = "clinic_profile"  # ClinicProfile as JSON

DEFAULT_AFTERCARE = (
    "Ice can ease swelling. For 24 to 48 hours avoid strenuous exercise, alcohol and heat"
    " (sauna, hot baths). Do not rub or massage the treated areas unless you were told to."
    " Sleep with your head raised the first night. Call the clinic at once for severe pain,"
    " skin blanching or any change in vision. A review is usually about two weeks after"
    " treatment."
)


@dataclass(frozen=True)
class ClinicProfile:
    """What heads every printed record; set with `aliquot clinic` (stored per database)."""

    name: str = ""
    address: str = ""
    phone: str = ""
    aftercare: str = DEFAULT_AFTERCARE
    logo_png: str = ""  # base64 PNG, at most 600 px wide, shared by every workstation


# The generic tolerant reading and writing of a dataclass setting.


def _fits(value: Any, expected: Any) -> bool:
    """Whether a JSON value is of a field's declared type (int, str, bool, X | None)."""
    if typing.get_origin(expected) in (Union, types.UnionType):
        return any(_fits(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(expected, type) and isinstance(value, expected)


def _stored_object(key: str, text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        log.warning("setting %s is not JSON; its defaults are used", key)
        return {}
    if not isinstance(data, dict):
        log.warning("setting %s is not a JSON object; its defaults are used", key)
        return {}
    return data


def read_setting(kind: type[T], key: str, text: str | None) -> T:
    """A setting from its stored JSON: unknown keys ignored, missing or wrong-typed ones
    take their defaults (logged)."""
    assert is_dataclass(kind)
    data = _stored_object(key, text)
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for field in fields(kind):
        if field.name not in data:
            continue
        value = data[field.name]
        if _fits(value, hints[field.name]):
            values[field.name] = value
        else:
            log.warning(
                "setting %s.%s holds %r, not a %s; its default is used",
                key,
                field.name,
                value,
                hints[field.name],
            )
    return kind(**values)


def write_setting(value: Any, text: str | None) -> str:
    """The JSON to store for a setting, keeping the keys a newer version wrote."""
    assert is_dataclass(value) and not isinstance(value, type)
    known = {field.name for field in fields(value)}
    kept = {k: v for k, v in _stored_object("", text).items() if k not in known}
    return json.dumps({**kept, **asdict(value)}, ensure_ascii=False)


def setting_in(session: Session, kind: type[T], key: str) -> T:
    stored = session.get(AppMeta, key)
    return read_setting(kind, key, stored.value if stored is not None else None)


def _store(session: Session, key: str, value: Any) -> None:
    stored = session.get(AppMeta, key)
    text = write_setting(value, stored.value if stored is not None else None)
    if stored is None:
        session.add(AppMeta(key=key, value=text))
    else:
        stored.value = text
    session.flush()


# Recall settings


def recall_settings_in(session: Session) -> RecallSettings:
    return setting_in(session, RecallSettings, RECALL_KEY)


def load_recall_settings(db: Database) -> RecallSettings:
    with db.factory() as session:
        return recall_settings_in(session)


def check_recall_settings(settings: RecallSettings) -> None:
    for name, value, low in (
        ("lead_days", settings.lead_days, 0),
        ("review_days", settings.review_days, 1),
        ("review_expires_days", settings.review_expires_days, 1),
        ("lapsed_after_days", settings.lapsed_after_days, 30),
    ):
        if value is not None and not low <= value <= 3650:
            raise ValidationError(f"{name.replace('_', ' ')} must be between {low} and 3650 days", name)


def put_recall_settings(session: Session, actor: str, settings: RecallSettings) -> Changes:
    """Store the clinic's recall settings in the caller's transaction. A changed review
    delay rebuilds the summary (review rows carry their day); the rest only redraws."""
    check_recall_settings(settings)
    before = recall_settings_in(session)
    _store(session, RECALL_KEY, settings)
    if settings == before:
        return Changes()
    record_event(
        session, actor, "update", "settings", RECALL_KEY, before=asdict(before), after=asdict(settings)
    )
    return note(
        session,
        Changes(recall_settings=True, recall_rules=settings.review_days != before.review_days),
    )


def save_recall_settings(db: Database, settings: RecallSettings) -> Changes:
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        return put_recall_settings(session, db.actor, settings)


# The clinic's time zone


def workstation_timezone_name() -> str:
    try:
        return tzlocal.get_localzone_name() or "UTC"
    except Exception:  # an unreadable zone setting on this machine
        return "UTC"


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"{name!r} is not a time zone name such as Europe/London or America/New_York", "timezone"
        ) from None


def clinic_zone_in(session: Session) -> ZoneInfo:
    """The zone stored in the database (UTC when none, or one this machine does not know)."""
    stored = session.get(AppMeta, TIMEZONE_KEY)
    try:
        return parse_timezone(stored.value) if stored is not None else ZoneInfo("UTC")
    except ValidationError:
        log.warning(
            "the clinic's time zone %r is unknown here; UTC is used", stored.value if stored else None
        )
        return ZoneInfo("UTC")


def load_clinic_timezone(database: Database) -> ZoneInfo:
    """The clinic's zone, set to this workstation's zone when the database is new."""
    with database.factory() as session:
        stored = session.get(AppMeta, TIMEZONE_KEY)
    if stored is None and not database.read_only:
        with database.factory.begin() as session:
            stored = session.get(AppMeta, TIMEZONE_KEY)  # another program may have set it meanwhile
            if stored is None:
                stored = AppMeta(key=TIMEZONE_KEY, value=workstation_timezone_name())
                session.add(stored)
    return parse_timezone(stored.value if stored is not None else workstation_timezone_name())


def set_clinic_timezone(database: Database, name: str) -> Changes:
    """Visit days, and so due dates, follow the clinic's clock: the summary is rebuilt."""
    zone = parse_timezone(name)
    with database.factory.begin() as session:
        require(database, session, Permission.SETTINGS)
        previous = session.get(AppMeta, TIMEZONE_KEY)
        before = previous.value if previous else None
        session.merge(AppMeta(key=TIMEZONE_KEY, value=zone.key))
        session.flush()
        record_event(
            session, database.actor, "update", "settings", TIMEZONE_KEY, before=before, after=zone.key
        )
        changes = note(session, Changes(clinic=True, recall_rules=True))
    database.timezone = zone
    return changes


# The clinic's profile (printed records)


def load_clinic_profile(db: Database) -> ClinicProfile:
    with db.factory() as session:
        return setting_in(session, ClinicProfile, PROFILE_KEY)


def save_clinic_profile(db: Database, profile: ClinicProfile) -> Changes:
    for field, label, limit in (
        ("name", "clinic name", 120),
        ("address", "address", 200),
        ("phone", "phone", 40),
        ("aftercare", "aftercare advice", 2000),
    ):
        check_length(getattr(profile, field), limit, field, label)
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        _store(session, PROFILE_KEY, profile)
        record_event(session, db.actor, "update", "settings", PROFILE_KEY)
        return note(session, Changes(clinic=True))


# Signing and signing in


SIGNING_KEY = "signing_settings"


@dataclass(frozen=True)
class SigningSettings:
    """Whether an injector's signed visits also need a prescriber's co-signature, and
    after how many idle minutes the window locks (asks for the password again)."""

    require_cosign: bool = False
    idle_lock_minutes: int = IDLE_LOCK_MINUTES


def signing_settings_in(session: Session) -> SigningSettings:
    return setting_in(session, SigningSettings, SIGNING_KEY)


def load_signing_settings(db: Database) -> SigningSettings:
    with db.factory() as session:
        return signing_settings_in(session)


def save_signing_settings(db: Database, settings: SigningSettings) -> Changes:
    if not 1 <= settings.idle_lock_minutes <= 240:
        raise ValidationError("the idle lock comes after 1 to 240 minutes", "idle_lock_minutes")
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        before = signing_settings_in(session)
        _store(session, SIGNING_KEY, settings)
        record_event(
            session,
            db.actor,
            "update",
            "settings",
            SIGNING_KEY,
            before=asdict(before),
            after=asdict(settings),
        )
        return note(session, Changes(clinic=True))
