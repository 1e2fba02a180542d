"""Plain, detached snapshots of chart data: what services hand to the GUI, the CLI and
the pure rules. No ORM rows escape a session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from models.vocabulary import Depth, DoseUnit, Sex, Technique, View, VisitKind, VisitStatus

# On every page of a record not yet signed, and beside its status.
DRAFT_MARK = "DRAFT – not signed"


def status_words(status: VisitStatus) -> str:
    """A visit's status as a printed record says it."""
    return "signed" if status is VisitStatus.SIGNED else DRAFT_MARK


@dataclass(frozen=True)
class PatientRecord:
    id: int
    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex
    phone: str | None = None
    email: str | None = None
    allergies: str = ""
    medical_notes: str = ""
    archived: bool = False
    # In sight while charting, beside the allergies: pregnancy, breast-feeding, blood thinners…
    alerts: str = ""

    @property
    def display_name(self) -> str:
        return f"{self.family_name}, {self.given_name}"

    def age_on(self, day: date) -> int | None:
        born = self.date_of_birth
        if born is None:
            return None
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class PatientDraft:
    """What a user fills in to create or edit a patient."""

    chart_number: str
    given_name: str
    family_name: str
    date_of_birth: date | None = None
    sex: Sex = Sex.UNKNOWN
    phone: str | None = None
    email: str | None = None
    allergies: str = ""
    medical_notes: str = ""
    alerts: str = ""  # pregnancy, breast-feeding, blood thinners…: shown while charting


@dataclass(frozen=True)
class PointDraft:
    """One charted site as entered, before it is stored. `lot_number` names a lot of
    `product_name`: a registered one, or a new one when `lot_expiry` is given (with
    `lot_package_size`, the size of its vials or syringes, if known). Its fields, and how
    files write them, are the table of models/point_fields.py."""

    view: View
    x: float
    y: float
    region_code: str
    product_name: str
    amount: Decimal
    unit: str  # a DoseUnit, or a file's unit as written: either is checked against the product's
    aliquots: int = 1
    lot_number: str | None = None
    lot_expiry: date | None = None
    depth: Depth | None = None
    lot_package_size: Decimal | None = None
    technique: Technique | None = None
    gauge: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ChartedPoint:
    view: View
    x: float
    y: float
    region_code: str
    product_name: str
    unit: DoseUnit
    amount: Decimal
    aliquots: int
    lot_number: str | None = None
    lot_expiry: date | None = None
    depth: Depth | None = None
    technique: Technique | None = None
    gauge: str = ""
    notes: str = ""
    # The lot's vial or syringe size (None: no lot, or a lot of unknown size).
    lot_package_size: Decimal | None = None

    @property
    def amount_per_aliquot(self) -> Decimal:
        return self.amount / self.aliquots


@dataclass(frozen=True)
class ProductTotal:
    product_name: str
    unit: DoseUnit
    amount: Decimal
    aliquots: int
    sites: int


@dataclass(frozen=True)
class VisitSummary:
    id: int
    external_id: str
    started_at: datetime
    status: VisitStatus
    provider_name: str
    provider_credentials: str
    version: int
    totals: list[ProductTotal] = field(default_factory=list)
    kind: VisitKind = VisitKind.TREATMENT  # a review may have no points


@dataclass(frozen=True)
class Signer:
    """Who signed or co-signed, as they were named then."""

    name: str
    credentials: str = ""
    licence: str = ""
    role: str = ""  # "injector", "prescriber"; "" for an unknown (imported) signer
    username: str = ""

    @property
    def shown(self) -> str:
        licence = f", licence {self.licence}" if self.licence else ""
        return f"{self.name} {self.credentials}".strip() + licence


@dataclass(frozen=True)
class Signature:
    """A signed visit's seal: what the record prints in place of the blank signature line,
    and what was printed beside the content when it was signed (it never changes after)."""

    signer: Signer
    signed_at: datetime | None  # None: imported from a file that did not say
    content_hash: str
    injector: Signer  # the visit's injector as named on the day it was signed
    next_due: tuple[str, ...]  # worked out from this visit on its own date
    warnings: tuple[str, ...]  # the safety warnings shown then
    cosigner: Signer | None = None
    cosigned_at: datetime | None = None


@dataclass(frozen=True)
class VisitRecord:
    id: int
    patient_id: int
    external_id: str
    started_at: datetime
    status: VisitStatus
    provider_id: int
    provider_name: str
    provider_credentials: str
    concern: str
    notes: str
    consent_recorded: bool
    version: int
    points: list[ChartedPoint]
    kind: VisitKind = VisitKind.TREATMENT  # a review sees the patient again, maybe injecting nothing
    warning_reason: str = ""  # why the injector went on despite the safety warnings
    signature: Signature | None = None  # None: a draft
    amends_visit_id: int | None = None  # an amendment: the signed visit it corrects
    amendment_reason: str = ""


@dataclass(frozen=True)
class ProductRecord:
    id: int
    name: str
    manufacturer: str
    generic_name: str
    kind: str
    dose_unit: DoseUnit
    package_size: Decimal | None
    default_diluent_ml: Decimal | None
    reconstitution: str | None
    interval_min_days: int | None
    interval_max_days: int | None
    max_dose_per_visit: Decimal | None
    colour: str
    active: bool
    # Every size the product comes in (catalogue), smallest first; a new lot is one of these.
    package_sizes: tuple[Decimal, ...] = ()
