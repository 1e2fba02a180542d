"""The clinic database: typed SQLAlchemy 2 tables for the whole charting mission.

Stored times are UTC (UTCDateTime); amounts are exact Decimals (Amount) in the unit of
their product; closed vocabularies are stored as their string values with CHECK
constraints so that the same schema serves SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Amount, Base, UTCDateTime, utcnow
from models.validation import identity_key
from models.vocabulary import (
    Depth,
    DoseUnit,
    EventKind,
    LogEntryKind,
    PackageFinish,
    PackageKind,
    PhotoScope,
    ProductKind,
    Role,
    Severity,
    Sex,
    Technique,
    View,
    VisitKind,
    VisitStatus,
)


def _vocabulary(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: VARCHAR plus a named CHECK constraint holding the values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def _identity_of(column: str) -> Callable[[DefaultExecutionContext], str]:
    """A column default: the identity key of another column of the row being inserted
    (ORM and bulk inserts alike, the other column's own default included)."""

    def default(context: DefaultExecutionContext) -> str:
        return identity_key(context.get_current_parameters()[column])  # type: ignore[no-untyped-call]

    return default


class AppMeta(Base):
    """Small key/value facts about the database itself (e.g. the seeded catalogue version)."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[int] = mapped_column(primary_key=True)
    chart_number: Mapped[str] = mapped_column(String(32))
    # The identity: A-0001 and a-0001 are one chart. Services set it when the chart number
    # changes; casefolding may lengthen text (ß -> ss), hence the width.
    chart_key: Mapped[str] = mapped_column(String(96), unique=True, default=_identity_of("chart_number"))
    given_name: Mapped[str] = mapped_column(String(120))
    family_name: Mapped[str] = mapped_column(String(120))
    # fold(family + given + chart number), kept up to date by the services for fast,
    # accent-insensitive search ("nunez" finds "Núñez").
    search_key: Mapped[str] = mapped_column(String(400), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(_vocabulary(Sex, "sex"), default=Sex.UNKNOWN)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    allergies: Mapped[str] = mapped_column(Text, default="")
    medical_notes: Mapped[str] = mapped_column(Text, default="")
    # Kept in sight while charting, beside the allergies: pregnancy, breast-feeding, blood thinners…
    alerts: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    visits: Mapped[list[Visit]] = relationship(back_populates="patient", order_by="Visit.started_at")

    __table_args__ = (Index("ix_patient_family_given", "family_name", "given_name"),)


class Provider(Base):
    """The injector (and, for signatures, the supervising prescriber)."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # fold(display_name)
    credentials: Mapped[str] = mapped_column(String(40), default="")
    licence_number: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    visits: Mapped[list[Visit]] = relationship(back_populates="provider", foreign_keys="Visit.provider_id")


class Product(Base):
    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # fold(name)
    manufacturer: Mapped[str] = mapped_column(String(120), default="")
    generic_name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[ProductKind] = mapped_column(_vocabulary(ProductKind, "product_kind"))
    # Fixed for the life of the product: units of one brand are not units of another.
    dose_unit: Mapped[DoseUnit] = mapped_column(_vocabulary(DoseUnit, "dose_unit"))
    package_size: Mapped[Decimal | None] = mapped_column(Amount)
    default_diluent_ml: Mapped[Decimal | None] = mapped_column(Amount)
    reconstitution: Mapped[str | None] = mapped_column(Text)
    interval_min_days: Mapped[int | None] = mapped_column(Integer)
    interval_max_days: Mapped[int | None] = mapped_column(Integer)
    # Above this, a charted amount is taken for a typing error, not a dose.
    max_dose_per_visit: Mapped[Decimal | None] = mapped_column(Amount)
    colour: Mapped[str] = mapped_column(String(7), default="#555555")
    source: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    lots: Mapped[list[Lot]] = relationship(back_populates="product")

    __table_args__ = (
        CheckConstraint(
            "interval_min_days IS NULL OR interval_max_days IS NULL"
            " OR interval_min_days <= interval_max_days",
            name="interval_order",
        ),
    )


class Lot(Base):
    __tablename__ = "lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    number: Mapped[str] = mapped_column(String(60))
    expiry: Mapped[date | None] = mapped_column(Date)
    received: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    # The size of this lot's vials or syringes in the product's unit (one of the product's
    # catalogue sizes); None for a lot registered before sizes were recorded.
    package_size: Mapped[Decimal | None] = mapped_column(Amount)

    product: Mapped[Product] = relationship(back_populates="lots")

    __table_args__ = (UniqueConstraint("product_id", "number"),)


class Visit(Base):
    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="RESTRICT"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[VisitStatus] = mapped_column(
        _vocabulary(VisitStatus, "visit_status"), default=VisitStatus.DRAFT
    )
    kind: Mapped[VisitKind] = mapped_column(
        _vocabulary(VisitKind, "visit_kind"),
        default=VisitKind.TREATMENT,
        server_default=VisitKind.TREATMENT.value,
    )
    concern: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Why the injector went on despite the safety warnings listed at the save ("" if none).
    warning_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    consent_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The signer's injector-register entry (None for an admin-less import's unknown signer).
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    # Who signed (None: signed elsewhere and imported), as what, and exactly what they signed:
    # `signed_record` is the visit's canonical content (checked against the rows by
    # `aliquot audit verify`), `signed_snapshot` what was printed beside it (names and
    # licences as they were, the next-due dates of that day), and `content_hash` the
    # SHA-256 of both, which also stands in the audit chain. Triggers keep a signed
    # visit's rows as they are (models/integrity.py).
    signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signer_role: Mapped[str | None] = mapped_column(String(24))
    signed_record: Mapped[str | None] = mapped_column(Text)
    signed_snapshot: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # Imported from a file (another system, a clinic's history): what it charted was given
    # elsewhere, so it takes nothing from this clinic's stock.
    imported: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # An amendment is a visit of its own that corrects a signed one, which stays as it was.
    amends_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    amendment_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Optimistic locking: two workstations editing one visit cannot overwrite each other.
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Identity across systems: import matches on (patient, external_id); visits made here
    # get a random one so that an export can be imported again without duplicates.
    external_id: Mapped[str] = mapped_column(String(120), default=lambda: uuid.uuid4().hex)
    # What makes it unique within the chart: v1 and V1 are one visit. Never changes.
    external_key: Mapped[str] = mapped_column(String(360), default=_identity_of("external_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="visits")
    provider: Mapped[Provider] = relationship(back_populates="visits", foreign_keys=[provider_id])
    signed_by: Mapped[Provider | None] = relationship(foreign_keys=[signed_by_id])
    cosign: Mapped[VisitCosign | None] = relationship(viewonly=True)
    points: Mapped[list[InjectionPoint]] = relationship(
        back_populates="visit",
        order_by="InjectionPoint.position",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (SQLAlchemy reads it once)
    __table_args__ = (
        UniqueConstraint("patient_id", "external_key"),
        Index("ix_visit_patient_started", "patient_id", "started_at"),
    )


class InjectionPoint(Base):
    __tablename__ = "injection_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # charting order within the visit
    view: Mapped[View] = mapped_column(_vocabulary(View, "view"))
    # Normalized to 0..1 of the view's drawing; only the face-map scene knows pixels.
    x: Mapped[float]
    y: Mapped[float]
    region_code: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    # Indexed for recalls: "which patients received lot X?"
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    # The vial or syringe it was drawn from, when the clinic records them (app/services/packages.py)
    package_id: Mapped[int | None] = mapped_column(
        ForeignKey("opened_package.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Amount)
    aliquots: Mapped[int] = mapped_column(Integer, default=1)
    depth: Mapped[Depth | None] = mapped_column(_vocabulary(Depth, "depth"))
    technique: Mapped[Technique | None] = mapped_column(_vocabulary(Technique, "technique"))
    gauge: Mapped[str] = mapped_column(String(16), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    visit: Mapped[Visit] = relationship(back_populates="points")
    product: Mapped[Product] = relationship()
    lot: Mapped[Lot | None] = relationship()
    package: Mapped[OpenedPackage | None] = relationship()

    __table_args__ = (
        CheckConstraint("aliquots >= 1", name="aliquots_positive"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("x >= 0 AND x <= 1 AND y >= 0 AND y <= 1", name="normalized_xy"),
        UniqueConstraint("visit_id", "position"),
    )


class ChartTemplate(Base):
    """A clinic's own injection pattern, saved from a chart: sites with their products,
    doses and aliquots (never lots: those belong to the day)."""

    __tablename__ = "chart_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True)  # fold(name)
    points: Mapped[str] = mapped_column(Text)  # JSON list, as the recovery format's points
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecallItem(Base):
    """What the due list reads: per patient, each area's last treatment with a product
    kind and its due window, and open reviews after a first treatment. Derived data,
    rebuilt for a patient whenever their chart is saved or imported (app/services/recall.py), so
    that the recall list of a whole clinic is one indexed query."""

    __tablename__ = "recall_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(String(40))  # an area key; "" for a review
    # One side of a paired area recalled on its own ("left"/"right"); "" for the whole area.
    side: Mapped[str] = mapped_column(String(8), default="", server_default="")
    product_kind: Mapped[str] = mapped_column(String(24))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    # Who treated the patient last: the injector a recall is booked with.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="SET NULL"))
    last_treated: Mapped[date] = mapped_column(Date)
    due_from: Mapped[date] = mapped_column(Date)
    due_by: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("patient_id", "area", "side", "product_kind", "product_id"),
        # The due list is a range on due_by (lapsed rows fall off); the other columns make
        # counting and ordering an index-only scan.
        Index("ix_recall_item_due", "due_by", "due_from", "area", "patient_id", "side"),
    )


class Photo(Base):
    """A clinical photo of a visit (or of an adverse event), as stored: orientation applied, identifying metadata
    (location, camera serial …) removed, the capture time kept here. Its image is in
    `photo_image`, apart, so that listing photos never reads images; `sha256` is the
    stored image's, checked by `aliquot db check`."""

    __tablename__ = "photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"), index=True)
    # Or of an adverse event, photographed when it was seen (its visit may be signed by then)
    adverse_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("adverse_event.id", ondelete="RESTRICT"), index=True
    )
    pose: Mapped[str] = mapped_column(String(40))  # a models.vocabulary.Pose or a clinic's own key
    scope: Mapped[PhotoScope] = mapped_column(_vocabulary(PhotoScope, "photo_scope"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # from the camera; None: unknown
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(40))  # image/jpeg or image/png
    byte_size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255), default="")  # the file's name, for the trail
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)  # JPEG, at most 320 px: the photo strip

    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="photo_size_positive"),
        CheckConstraint("(visit_id IS NULL) <> (adverse_event_id IS NULL)", name="photo_of_visit_or_event"),
        Index("ix_photo_visit_pose", "visit_id", "pose"),
    )


class PhotoImage(Base):
    """A photo's stored image. Written once with its photo, in the same transaction; the
    database's triggers refuse to change or remove it (models/integrity.py)."""

    __tablename__ = "photo_image"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id", ondelete="RESTRICT"), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class PhotoLandmarks(Base):
    """The facial landmarks placed on a frontal photo (by the injector, or proposed and
    then checked), in the stored image's pixels, and the iris diameter that scales them
    to millimetres (models/landmarks.py, models/asymmetry.py)."""

    __tablename__ = "photo_landmarks"

    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id", ondelete="RESTRICT"), primary_key=True)
    points: Mapped[str] = mapped_column(Text)  # JSON object: landmark key -> [x, y]
    iris_diameter_px: Mapped[float | None] = mapped_column(Float)
    placed_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AdverseEvent(Base):
    """Something that went wrong after a treatment: what, when it began, how bad, where on
    the face, what was done and how it ended. Belongs to the patient and, usually, to the
    visit it followed. A vascular occlusion also has a timed log (`AdverseEventLog`)."""

    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id", ondelete="RESTRICT"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[EventKind] = mapped_column(_vocabulary(EventKind, "event_kind"))
    severity: Mapped[Severity] = mapped_column(_vocabulary(Severity, "event_severity"))
    onset_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    regions: Mapped[str] = mapped_column(Text, default="")  # region codes, space-separated
    description: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    referral: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    follow_up: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    log: Mapped[list[AdverseEventLog]] = relationship(order_by="AdverseEventLog.at")


class AdverseEventLog(Base):
    """A timed line of an adverse event (a vascular occlusion above all): each hyaluronidase
    dose with its sites and lot, each assessment of refill, colour, pain and vision."""

    __tablename__ = "adverse_event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("adverse_event.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[LogEntryKind] = mapped_column(_vocabulary(LogEntryKind, "event_log_kind"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"))
    amount: Mapped[Decimal | None] = mapped_column(Amount)
    regions: Mapped[str] = mapped_column(Text, default="")
    capillary_refill_s: Mapped[Decimal | None] = mapped_column(Amount)
    skin_colour: Mapped[str] = mapped_column(String(60), default="")
    pain: Mapped[int | None] = mapped_column(Integer)  # 0–10
    vision: Mapped[str] = mapped_column(String(120), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(120))

    product: Mapped[Product | None] = relationship()
    lot: Mapped[Lot | None] = relationship()

    __table_args__ = (CheckConstraint("pain IS NULL OR (pain >= 0 AND pain <= 10)", name="pain_scale"),)


class OpenedPackage(Base):
    """A vial mixed or a syringe opened at the chair. Points charted from it name it, so
    what is left in it is its size less what was charted from it; once it is finished
    (used up or wasted) or past its discard-by time, that rest is wastage.

    A vial records how much toxin in how much diluent (so its concentration), and until
    when it may be used (the label's use-within time); a syringe records its mL."""

    __tablename__ = "opened_package"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[PackageKind] = mapped_column(_vocabulary(PackageKind, "package_kind"))
    size: Mapped[Decimal] = mapped_column(Amount)  # in the product's unit: U of a vial, mL of a syringe
    diluent_ml: Mapped[Decimal | None] = mapped_column(Amount)  # a vial's only
    diluent: Mapped[str] = mapped_column(String(120), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)  # a vial: mixed at
    opened_by: Mapped[str] = mapped_column(String(120))
    discard_by: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: the label gives no time
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by: Mapped[str] = mapped_column(String(120), default="")
    finish: Mapped[PackageFinish | None] = mapped_column(_vocabulary(PackageFinish, "package_finish"))

    lot: Mapped[Lot] = relationship()

    __table_args__ = (
        CheckConstraint("size > 0 AND (diluent_ml IS NULL OR diluent_ml > 0)", name="package_amounts"),
        CheckConstraint("kind = 'syringe' OR diluent_ml IS NOT NULL", name="vial_has_diluent"),
        CheckConstraint("(finished_at IS NULL) = (finish IS NULL)", name="finished_how"),
    )


class ProductBarcode(Base):
    """A GTIN (the number in a box's GS1 barcode) and the catalogue product it is: mapped
    once by the clinic, then every scan of that box names its product."""

    __tablename__ = "product_barcode"

    gtin: Mapped[str] = mapped_column(String(14), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))


class StockMovement(Base):
    """Stock coming in (a delivery of packages of a lot) or going out other than by charting
    (wasted, expired, broken), in the product's own unit. What charting uses is read from the
    visits themselves, so an undone or corrected point gives its amount back."""

    __tablename__ = "stock_movement"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("lot.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "received", "wasted", "expired", "broken"
    packages: Mapped[int | None] = mapped_column(Integer)  # a delivery: how many vials or syringes
    amount: Mapped[Decimal] = mapped_column(Amount)  # + in, - out, in the product's unit
    supplier: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(120))

    lot: Mapped[Lot] = relationship()

    __table_args__ = (CheckConstraint("amount <> 0", name="stock_movement_amount"),)


class UserAccount(Base):
    """A person who signs in (HIPAA 164.312(a)(2)(i) unique user identification)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(96), unique=True)  # fold(username)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[Role] = mapped_column(_vocabulary(Role, "user_role"))
    # An injector's or prescriber's entry in the injector register: the name and licence
    # printed on the visits they chart and sign.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id", ondelete="RESTRICT"))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, with its own salt and costs
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Failed sign-ins in a row, and the last one: each makes the next try wait longer.
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider | None] = relationship()


class VisitCosign(Base):
    """A prescriber's co-signature of a signed visit, of the content hash it was shown."""

    __tablename__ = "visit_cosign"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    cosigner: Mapped[str] = mapped_column(Text)  # JSON: name, credentials, licence as they were
    role: Mapped[str] = mapped_column(String(24))
    content_hash: Mapped[str] = mapped_column(String(64))
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what to which record, when and where (HIPAA 164.312(b) audit controls).

    No foreign keys: the trail must outlive the rows it speaks of. The events form a
    hash chain: `hash` is the SHA-256 of the event's fields and the previous event's
    hash (models/audit_chain.py), so an event edited, deleted or inserted with any tool
    breaks the chain at that point. Triggers refuse UPDATE and DELETE (models/integrity.py).
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)  # given by the chain: the next number
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    workstation: Mapped[str] = mapped_column(String(120), default="", server_default="")
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    patient_id: Mapped[int | None] = mapped_column(Integer)
    visit_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    hash: Mapped[str] = mapped_column(String(64), default="", server_default="")

    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index("ix_audit_event_patient", "patient_id"),
        Index("ix_audit_event_actor", "actor"),
    )
