"""Declarative base and the column types that keep clinical values exact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Dialect, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Named constraints so that Alembic batch migrations on SQLite can address them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Amounts are recorded to at most three decimal places (0.005 mL, 0.125 U).
AMOUNT_SCALE = 3


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp, stored in UTC on every backend.

    Naive datetimes are refused rather than guessed at: a clinical time without a zone
    cannot be placed on the calendar safely.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: times must carry a zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """A dose amount (units or mL) as an exact Decimal.

    Values with more than AMOUNT_SCALE decimal places are refused, never rounded:
    validation reports them to the user before they get here.
    """

    impl = Numeric(12, AMOUNT_SCALE, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"amount must be a Decimal, got {type(value).__name__}")
        if _exponent(value) < -AMOUNT_SCALE and value != value.quantize(Decimal(1).scaleb(-AMOUNT_SCALE)):
            raise ValueError(f"amount {value} has more than {AMOUNT_SCALE} decimal places")
        return value

    def process_result_value(self, value: Decimal | None, dialect: Dialect) -> Decimal | None:
        # A Decimal already: the Numeric(asdecimal=True) impl converts what the driver gives.
        if value is None:
            return None
        return normalize_amount(Decimal(value))


def normalize_amount(value: Decimal) -> Decimal:
    """Drop trailing zeros but never switch to exponent form (100, not 1E+2)."""
    value = value.quantize(Decimal(1).scaleb(-AMOUNT_SCALE)).normalize()
    if _exponent(value) > 0:
        value = value.quantize(Decimal(1))
    return value


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, str):  # 'n', 'N' or 'F': NaN or infinity, never an amount
        raise TypeError(f"amount {value} is not a finite number")
    return exponent


def format_amount(value: Decimal) -> str:
    """A Decimal amount as a plain string: '4', '0.1', '100'."""
    return format(normalize_amount(value), "f")


def utcnow() -> datetime:
    return datetime.now(UTC)


def stored_moment(stored: datetime | str) -> datetime:
    """A time read without its column's conversion (a query that reads many rows): SQLite
    gives its stored UTC text, PostgreSQL a datetime. Always aware, in UTC."""
    if isinstance(stored, str):
        return datetime.fromisoformat(stored).replace(tzinfo=UTC)
    return stored if stored.tzinfo is not None else stored.replace(tzinfo=UTC)


def stored_amount(stored: object) -> Decimal:
    """An amount read without its column's conversion: a float on SQLite, a Decimal on
    PostgreSQL; normalized as the Amount column gives it."""
    return normalize_amount(Decimal(str(stored)))
