"""Providers: the injectors who chart and sign visits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, note
from app.services.users import require
from app.storage.database import Database
from models.accounts import Permission
from models.errors import ConflictError, NotFoundError
from models.tables import Provider
from models.text import fold
from models.validation import check_length, check_text, checked_name


@dataclass(frozen=True)
class ProviderRecord:
    id: int
    display_name: str
    credentials: str
    licence_number: str | None
    active: bool
    changes: Changes = field(default=NOTHING, compare=False)  # what the call that returned it changed

    @property
    def label(self) -> str:
        """The name with credentials, as lists and records show it: "Dana Reyes RN"."""
        return f"{self.display_name} {self.credentials}".strip()


def provider_record(provider: Provider) -> ProviderRecord:
    return ProviderRecord(
        provider.id, provider.display_name, provider.credentials, provider.licence_number, provider.active
    )


def _checked_name(name: str) -> str:
    return checked_name(name, "provider", "provider's name", "the provider's name is required")


def _checked_credentials(credentials: str) -> str:
    """Credentials as stored: trimmed, then held to the one-line text rule."""
    credentials = credentials.strip()
    check_length(credentials, 40, "credentials", "credentials")
    check_text(credentials, "credentials", "credentials")
    return credentials


def find_or_add_provider(
    session: Session, actor: str, name: str, credentials: str = "", licence_number: str | None = None
) -> Provider:
    """Match a provider by name (case and accents ignored), or register a new one."""
    name, credentials = _checked_name(name), _checked_credentials(credentials)
    provider = session.scalar(select(Provider).where(Provider.name_key == fold(name)))
    if provider is None:
        provider = Provider(
            display_name=name,
            name_key=fold(name),
            credentials=credentials,
            licence_number=licence_number,
        )
        session.add(provider)
        session.flush()
        record_event(
            session,
            actor,
            "create",
            "provider",
            provider.id,
            name=name,
            credentials=provider.credentials,
            licence_number=licence_number,
        )
        note(session, Changes(providers=True))
    return provider


def _checked_licence(licence_number: str | None) -> str | None:
    licence_number = (licence_number or "").strip() or None
    check_length(licence_number, 60, "licence_number", "licence number")
    check_text(licence_number, "licence_number", "licence number")
    return licence_number


def _name_taken(session: Session, name: str, other_than: int | None = None) -> None:
    query = select(Provider).where(Provider.name_key == fold(name))
    if other_than is not None:
        query = query.where(Provider.id != other_than)
    if session.scalar(query) is not None:
        raise ConflictError(f"an injector named {name} is already registered")


def create_provider(
    db: Database, name: str, credentials: str = "", licence_number: str | None = None
) -> ProviderRecord:
    name, licence_number = _checked_name(name), _checked_licence(licence_number)
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        _name_taken(session, name)
        provider = find_or_add_provider(session, db.actor, name, credentials, licence_number)
        return replace(provider_record(provider), changes=Changes(providers=True))


def update_provider(
    db: Database,
    provider_id: int,
    name: str,
    credentials: str = "",
    licence_number: str | None = None,
    active: bool = True,
) -> ProviderRecord:
    """Correct an injector's details, or take them off (active=False) the list offered for
    new visits; the visits they charted keep them."""
    name, credentials = _checked_name(name), _checked_credentials(credentials)
    licence_number = _checked_licence(licence_number)
    with db.factory.begin() as session:
        require(db, session, Permission.SETTINGS)
        provider = session.get(Provider, provider_id)
        if provider is None:
            raise NotFoundError(f"no provider with id {provider_id}")
        _name_taken(session, name, other_than=provider_id)
        wanted = {
            "display_name": name,
            "credentials": credentials,
            "licence_number": licence_number,
            "active": active,
        }
        changes = {
            field: [getattr(provider, field), value]
            for field, value in wanted.items()
            if getattr(provider, field) != value
        }
        if changes:
            for field, (_before, after) in changes.items():
                setattr(provider, field, after)
            provider.name_key = fold(name)
            # before and after: a corrected name or licence keeps its old value in the trail
            record_event(  # the keys are provider fields, never patient_id or visit_id
                session,
                db.actor,
                "update",
                "provider",
                provider.id,
                **changes,  # type: ignore[arg-type]
            )
        return replace(provider_record(provider), changes=note(session, Changes(providers=bool(changes))))


def list_providers(
    db: Database, include_inactive: bool = False, also: int | None = None
) -> list[ProviderRecord]:
    """Injectors by name: the active ones, every one, or the active ones and `also` (the
    injector of a visit being opened, who may since have been taken off the list)."""
    query = select(Provider).order_by(Provider.display_name)
    if not include_inactive:
        query = query.where(Provider.active.is_(True) | (Provider.id == also))
    with db.factory() as session:
        return [provider_record(p) for p in session.scalars(query)]
