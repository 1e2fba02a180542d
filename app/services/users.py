"""User accounts, signing in, and what each role may do.

While a clinic has no accounts it works as before: nobody signs in and the audit trail
names the workstation's own user. The first account must be an admin; from then on every
change to clinical records, users or settings needs a signed-in user whose role allows it
(models/accounts.py). Passwords are kept as argon2id hashes (argon2-cffi's defaults,
re-hashed at sign-in when those defaults grow). Failed sign-ins are audited, and each one
in a row makes the next try wait longer (`wait_after`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from models.accounts import (
    CLINICAL_ROLES,
    ROLE_WORDS,
    Permission,
    SignedInUser,
    check_new_password,
    check_username,
    wait_after,
)
from models.base import utcnow
from models.errors import (
    ConflictError,
    NotFoundError,
    PermissionRefused,
    SignInRefused,
    SignInRequired,
    ValidationError,
)
from models.tables import Provider, UserAccount
from models.text import fold
from models.validation import check_length, check_text
from models.vocabulary import Role

if TYPE_CHECKING:  # the database module reads settings, which ask who may change them
    from app.storage.database import Database

_hasher = PasswordHasher()
WRONG = "unknown user name or wrong password"


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    role: Role
    provider_id: int | None
    provider_name: str | None
    active: bool
    created_at: datetime


def _record(user: UserAccount) -> UserRecord:
    return UserRecord(
        user.id,
        user.username,
        user.full_name,
        user.role,
        user.provider_id,
        user.provider.display_name if user.provider else None,
        user.active,
        user.created_at,
    )


def signed_in(user: UserAccount) -> SignedInUser:
    return SignedInUser(user.id, user.username, user.full_name, user.role, user.provider_id)


def has_users(session: Session) -> bool:
    return session.scalar(select(UserAccount.id).limit(1)) is not None


def clinic_has_users(db: Database) -> bool:
    with db.factory() as session:
        return has_users(session)


def require(db: Database, session: Session, permission: Permission) -> None:
    """Refuse unless the signed-in user may do this (nothing to refuse in a clinic with no
    accounts yet). Called inside the service's transaction, before it changes anything."""
    if db.user is None:
        if has_users(session):
            raise SignInRequired(f"sign in first: only a signed-in user may {permission.value}")
        return
    if not db.user.may(permission):
        raise PermissionRefused(f"{ROLE_WORDS[db.user.role]} accounts cannot {permission.value}")


def _find(session: Session, username: str) -> UserAccount | None:
    return session.scalar(select(UserAccount).where(UserAccount.username_key == fold(username.strip())))


def _find_known(session: Session, username: str) -> UserAccount:
    user = _find(session, username)
    if user is None:
        raise NotFoundError(f"there is no user {username!r} (see: aliquot users list)")
    return user


def add_user(
    db: Database,
    username: str,
    role: Role,
    password: str,
    full_name: str = "",
    provider_id: int | None = None,
) -> UserRecord:
    """A new account. The clinic's first must be an admin (it is made without signing in);
    an injector or prescriber account names its entry in the injector register."""
    username = check_username(username)
    check_new_password(password, username)
    full_name = full_name.strip()
    check_length(full_name, 120, "full_name", "full name")
    check_text(full_name, "full_name", "full name")
    with db.factory.begin() as session:
        first = not has_users(session)
        if first and role is not Role.ADMIN:
            raise ValidationError(
                "the clinic's first user must be an admin (--role admin), who then adds the others", "role"
            )
        require(db, session, Permission.USERS)
        if _find(session, username) is not None:
            raise ConflictError(f"there is already a user {username!r}")
        provider = None
        if role in CLINICAL_ROLES:
            if provider_id is None:
                raise ValidationError(
                    f"an {ROLE_WORDS[role]} account is linked to the injector register:"
                    " give --injector ID (see: aliquot injectors)",
                    "provider",
                )
            provider = session.get(Provider, provider_id)
            if provider is None:
                raise NotFoundError(f"there is no injector {provider_id} (see: aliquot injectors)")
            taken = session.scalar(
                select(UserAccount.username).where(UserAccount.provider_id == provider_id, UserAccount.active)
            )
            if taken is not None:
                raise ConflictError(f"injector {provider.display_name} already has the account {taken!r}")
        elif provider_id is not None:
            raise ValidationError(f"a {ROLE_WORDS[role]} account is not linked to an injector", "provider")
        user = UserAccount(
            username=username,
            username_key=fold(username),
            full_name=full_name or (provider.display_name if provider else ""),
            role=role,
            provider=provider,
            password_hash=_hasher.hash(password),
            active=True,
            failed_attempts=0,
        )
        session.add(user)
        session.flush()
        record_event(session, db.actor, "create", "user", user.id, username=username, role=role.value)
        return _record(user)


def list_users(db: Database) -> list[UserRecord]:
    with db.factory() as session:
        users = session.scalars(select(UserAccount).order_by(UserAccount.username_key))
        return [_record(user) for user in users]


def disable_user(db: Database, username: str) -> UserRecord:
    """The account can no longer sign in; what it signed stays signed by it."""
    with db.factory.begin() as session:
        require(db, session, Permission.USERS)
        user = _find_known(session, username)
        if user.role is Role.ADMIN and user.active:
            admins = session.scalar(
                select(func.count())
                .select_from(UserAccount)
                .where(UserAccount.role == Role.ADMIN, UserAccount.active)
            )
            if admins == 1:
                raise ConflictError(f"{user.username} is the clinic's last admin: add another admin first")
        user.active = False
        record_event(session, db.actor, "disable", "user", user.id, username=user.username)
        return _record(user)


def set_password(db: Database, username: str, password: str) -> None:
    """An admin sets a new password (a forgotten one, or a first one handed over)."""
    with db.factory.begin() as session:
        require(db, session, Permission.USERS)
        user = _find_known(session, username)
        check_new_password(password, user.username)
        user.password_hash = _hasher.hash(password)
        user.failed_attempts = 0
        record_event(session, db.actor, "set-password", "user", user.id, username=user.username)


def sign_in(db: Database, username: str, password: str, now: datetime | None = None) -> SignedInUser:
    """Check the password and make this user the one acting on `db`. A refusal is audited
    and says how long to wait before the next try; the wait grows with each failure."""
    now = now or utcnow()
    with db.factory.begin() as session:
        user = _find(session, username)
        refusal = _refusal(user, password, now)
        if refusal is None:
            assert user is not None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            user.failed_attempts = 0
            user.last_failed_at = None
            record_event(session, user.username, "sign-in", "user", user.id)
            who = signed_in(user)
        else:
            record_event(
                session,
                username.strip()[:120] or "?",
                "sign-in-failed",
                "user",
                None if user is None else user.id,
                reason=refusal.reason,
            )
    if refusal is not None:
        raise SignInRefused(refusal.message, refusal.wait_seconds)
    db.user = who
    db.actor = who.username
    return who


@dataclass(frozen=True)
class _Refusal:
    reason: str  # for the trail
    message: str  # for the person
    wait_seconds: int


def _refusal(user: UserAccount | None, password: str, now: datetime) -> _Refusal | None:
    """Why this sign-in fails (None: it does not); a failure is counted on the account."""
    if user is None:
        _hasher.hash(password)  # the same time as a real check: names cannot be probed
        return _Refusal("unknown user", WRONG, 0)
    if user.failed_attempts and user.last_failed_at is not None:
        ready = user.last_failed_at + timedelta(seconds=wait_after(user.failed_attempts))
        if now < ready:
            wait = int((ready - now).total_seconds() + 0.999)
            return _Refusal("too soon", f"too many failed sign-ins: try again in {wait} s", wait)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_attempts += 1
        user.last_failed_at = now
        return _Refusal("wrong password", WRONG, wait_after(user.failed_attempts))
    if not user.active:
        return _Refusal("disabled", f"the account {user.username!r} is disabled; ask the clinic's admin", 0)
    return None


def sign_out(db: Database, actor: str) -> None:
    """Nobody acts on `db` any more (the window's lock or switch of user)."""
    if db.user is not None:
        with db.factory.begin() as session:
            record_event(session, db.user.username, "sign-out", "user", db.user.id)
    db.user = None
    db.actor = actor


def require_charting(db: Database, session: Session, provider_id: int) -> None:
    """Chart a visit of this injector: an injector charts their own visits only."""
    require(db, session, Permission.CHART)
    user = db.user
    if user is not None and user.role is Role.INJECTOR and user.provider_id != provider_id:
        provider = session.get(Provider, provider_id)
        name = provider.display_name if provider else f"injector {provider_id}"
        raise PermissionRefused(f"this visit is {name}'s: an injector charts and signs their own visits")


def demo_sign_in_hint(db: Database) -> str | None:
    """For a demo clinic: the demo accounts and their password, said at sign-in."""
    import json

    from models.tables import AppMeta

    with db.factory() as session:
        stored = session.get(AppMeta, "demo_users")
    if stored is None:
        return None
    demo = json.loads(stored.value)
    return f"Demo clinic: sign in as {', '.join(demo['users'])} with the password {demo['password']}"
