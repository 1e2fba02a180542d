"""Providers: the injectors who chart and sign visits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit import record_event
from app.database import Database
from models.errors import ConflictError, ValidationError
from models.tables import Provider
from models.text import fold
from models.validation import check_length


@dataclass(frozen=True)
class ProviderRecord:
    id: int
    display_name: str
    credentials: str
    licence_number: str | None
    active: bool


def provider_record(provider: Provider) -> ProviderRecord:
    return ProviderRecord(provider.id, provider.display_name, provider.credentials,
                          provider.licence_number, provider.active)


def _checked_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("the provider's name is required", "provider")
    check_length(name, 120, "provider", "provider's name")
    return name


def find_or_add_provider(session: Session, actor: str, name: str, credentials: str = "") -> Provider:
    """Match a provider by name (case and accents ignored), or register a new one."""
    name = _checked_name(name)
    check_length(credentials.strip(), 40, "credentials", "credentials")
    provider = session.scalar(select(Provider).where(Provider.name_key == fold(name)))
    if provider is None:
        provider = Provider(display_name=name, name_key=fold(name), credentials=credentials.strip())
        session.add(provider)
        session.flush()
        record_event(session, actor, "create", "provider", provider.id, name=name)
    return provider


def create_provider(db: Database, name: str, credentials: str = "",
                    licence_number: str | None = None) -> ProviderRecord:
    name = _checked_name(name)
    with db.factory.begin() as session:
        if session.scalar(select(Provider).where(Provider.name_key == fold(name))) is not None:
            raise ConflictError(f"a provider named {name} is already registered")
        provider = find_or_add_provider(session, db.actor, name, credentials)
        provider.licence_number = licence_number
        return provider_record(provider)


def list_providers(db: Database, include_inactive: bool = False) -> list[ProviderRecord]:
    query = select(Provider).order_by(Provider.display_name)
    if not include_inactive:
        query = query.where(Provider.active.is_(True))
    with db.factory() as session:
        return [provider_record(p) for p in session.scalars(query)]
