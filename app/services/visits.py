"""Visit use cases: open a visit, chart its points, list a patient's visits with totals."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.services.audit import record_event
from app.services.catalogue import package_sizes
from app.services.changes import NOTHING, Changes, carrying, note
from app.services.lots import starting_lot, usable_lots
from app.services.patients import find_by_chart
from app.services.providers import ProviderRecord, list_providers
from app.services.templates import clinic_templates
from app.services.users import require_charting
from app.storage.database import Database
from models.amounts import format_dose
from models.chart import VisitFields
from models.errors import ConflictError, NotFoundError, ValidationError
from models.guardrails import bundled as bundled_guardrails
from models.guardrails import product_rule as guardrail_ceilings
from models.records import ChartedPoint, PointDraft, Signature, Signer, VisitRecord, VisitSummary
from models.tables import InjectionPoint, Lot, Patient, Photo, Product, Provider, Visit
from models.templates import ClinicTemplate
from models.text import fold
from models.totals import totals_by_product
from models.validation import (
    LotRule,
    ProductRule,
    check_aliquots,
    check_amount,
    check_depth,
    check_gauge,
    check_length,
    check_lot,
    check_lot_package_size,
    check_lot_product,
    check_position,
    check_technique,
    check_text,
    check_unit,
    check_visit_time,
    check_visit_totals,
)
from models.vocabulary import ProductKind, VisitKind, VisitStatus


@dataclass(frozen=True)
class SavedVisit(VisitRecord):
    """A visit as saved, with what saving it changed."""

    changes: Changes = field(default=NOTHING, compare=False)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of a moment on the clinic's clock."""
    return moment.astimezone(zone).date()


class ProductLookup:
    """Products and lots by name within one session, cached for a batch of points."""

    def __init__(self, session: Session):
        self.session = session
        self._products: dict[str, Product] = {}

    def product(self, name: str) -> Product:
        key = fold(name)
        if key not in self._products:
            product = self.session.scalar(select(Product).where(Product.name_key == key))
            if product is None:
                raise ValidationError(f"{name!r} is not a product in the catalogue", "product")
            self._products[key] = product
        return self._products[key]

    def lot(
        self, product: Product, number: str, expiry: date | None, package_size: Decimal | None = None
    ) -> Lot:
        """The registered lot, or a new one when its expiry is given. `package_size` is the
        size of its vials or syringes, one of the product's sizes: a new lot is registered
        with it (None: unknown); a registered lot keeps its own, and a different size given
        for it is refused like a different expiry."""
        if not number:
            raise ValidationError("the lot number is empty; give it or leave the lot out", "lot")
        check_length(number, 60, "lot", "lot number")
        check_text(number, "lot", "lot number")
        if package_size is not None:
            check_lot_package_size(package_size, package_sizes(product), number, product_rule(product))
        lot = self.session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.number == number))
        if lot is None:
            elsewhere = self.session.scalar(
                select(Lot).where(Lot.number == number, Lot.product_id != product.id).limit(1)
            )
            if elsewhere is not None:
                check_lot_product(
                    LotRule(number, elsewhere.product.name, elsewhere.expiry), product_rule(product)
                )
            if expiry is None:
                raise ValidationError(f"lot {number} of {product.name} is new: give its expiry date", "lot")
            lot = Lot(product=product, number=number, expiry=expiry, package_size=package_size)
            self.session.add(lot)
            self.session.flush()
        elif expiry is not None and lot.expiry != expiry:
            registered = lot.expiry.isoformat() if lot.expiry else "no expiry"
            raise ValidationError(
                f"lot {number} of {product.name} is registered with expiry {registered},"
                f" not {expiry.isoformat()}",
                "lot",
            )
        elif package_size is not None and lot.package_size is not None and lot.package_size != package_size:
            raise ValidationError(
                f"lot {number} of {product.name} is registered in"
                f" {format_dose(lot.package_size, product.dose_unit)} packages,"
                f" not {format_dose(package_size, product.dose_unit)}",
                "lot",
            )
        return lot


def product_rule(product: Product) -> ProductRule:
    """The product's hard ceilings (resources/guardrails.json; none for hyaluronidase)."""
    return guardrail_ceilings(
        bundled_guardrails(), product.name, product.dose_unit, product.kind, product.max_dose_per_visit
    )


def build_point(
    lookup: ProductLookup,
    draft: PointDraft,
    visit_date: date,
    position: int,
) -> InjectionPoint:
    """Validate one charted site against every charting rule and make its row."""
    view = check_position(draft.view, draft.x, draft.y, draft.region_code)
    product = lookup.product(draft.product_name)
    rule = product_rule(product)
    check_unit(str(draft.unit), rule)
    check_amount(draft.amount, rule)
    aliquots = check_aliquots(draft.aliquots)
    lot = None
    if draft.lot_number is not None:
        lot = lookup.lot(product, draft.lot_number.strip(), draft.lot_expiry, draft.lot_package_size)
        check_lot(LotRule(lot.number, lot.product.name, lot.expiry), rule, visit_date)
    return InjectionPoint(
        position=position,
        view=view,
        x=float(draft.x),
        y=float(draft.y),
        region_code=draft.region_code,
        product=product,
        lot=lot,
        amount=draft.amount,
        aliquots=aliquots,
        depth=check_depth(draft.depth),
        technique=check_technique(draft.technique),
        gauge=check_gauge(draft.gauge),
        notes=draft.notes or "",
    )


def check_points_together(points: Sequence[InjectionPoint]) -> None:
    """Rules over the whole visit: each product's total against its per-visit ceiling."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    rules: dict[str, ProductRule] = {}
    for point in points:
        totals[point.product.name] += point.amount
        rules[point.product.name] = product_rule(point.product)
    check_visit_totals(totals, rules)


def charted_point(point: InjectionPoint) -> ChartedPoint:
    return ChartedPoint(
        view=point.view,
        x=point.x,
        y=point.y,
        region_code=point.region_code,
        product_name=point.product.name,
        unit=point.product.dose_unit,
        amount=point.amount,
        aliquots=point.aliquots,
        lot_number=point.lot.number if point.lot else None,
        lot_expiry=point.lot.expiry if point.lot else None,
        depth=point.depth,
        technique=point.technique,
        gauge=point.gauge,
        notes=point.notes,
        lot_package_size=point.lot.package_size if point.lot else None,
    )


def visit_record(visit: Visit) -> VisitRecord:
    """A visit as read and shown; a signed one names its injector as they were named when
    it was signed (a later rename changes no signed record)."""
    signature = signature_of(visit)
    injector_name = signature.injector.name if signature else visit.provider.display_name
    injector_credentials = signature.injector.credentials if signature else visit.provider.credentials
    return VisitRecord(
        id=visit.id,
        patient_id=visit.patient_id,
        external_id=visit.external_id,
        started_at=visit.started_at,
        status=visit.status,
        provider_id=visit.provider_id,
        provider_name=injector_name,
        provider_credentials=injector_credentials,
        concern=visit.concern,
        notes=visit.notes,
        consent_recorded=visit.consent_recorded,
        version=visit.version,
        points=[charted_point(p) for p in visit.points],
        kind=visit.kind,
        warning_reason=visit.warning_reason,
        signature=signature,
        amends_visit_id=visit.amends_visit_id,
        amendment_reason=visit.amendment_reason,
    )


def signature_of(visit: Visit) -> Signature | None:
    """The seal of a signed visit, as it was stored when it was signed."""
    if visit.status is not VisitStatus.SIGNED or visit.signed_snapshot is None:
        return None
    snapshot = json.loads(visit.signed_snapshot)
    cosign = visit.cosign
    return Signature(
        signer=Signer(**snapshot["signer"]),
        signed_at=datetime.fromisoformat(snapshot["signed_at"]) if snapshot["signed_at"] else None,
        content_hash=visit.content_hash or "",
        injector=Signer(**snapshot["injector"]),
        next_due=tuple(snapshot["next_due"]),
        warnings=tuple(snapshot["warnings"]),
        cosigner=Signer(**json.loads(cosign.cosigner)) if cosign else None,
        cosigned_at=cosign.cosigned_at if cosign else None,
    )


def _load_visit(session: Session, visit_id: int) -> Visit:
    visit = session.scalar(
        select(Visit)
        .where(Visit.id == visit_id)
        .options(
            selectinload(Visit.points).selectinload(InjectionPoint.product),
            selectinload(Visit.points).selectinload(InjectionPoint.lot),
        )
    )
    if visit is None:
        raise NotFoundError(f"no visit with id {visit_id}")
    return visit


def create_visit(
    db: Database,
    patient_id: int,
    provider_id: int,
    started_at: datetime,
    concern: str = "",
    notes: str = "",
    consent_recorded: bool = False,
    kind: VisitKind = VisitKind.TREATMENT,
) -> SavedVisit:
    """A new draft visit; a review visit (the patient seen again, maybe injecting nothing)
    is done at once: the patient's open review leaves the due list."""
    check_visit_time(started_at, datetime.now(UTC))
    with db.factory.begin() as session:
        require_charting(db, session, provider_id)
        if session.get(Patient, patient_id) is None:
            raise NotFoundError(f"no patient with id {patient_id}")
        if session.get(Provider, provider_id) is None:
            raise NotFoundError(f"no provider with id {provider_id}")
        visit = Visit(
            patient_id=patient_id,
            provider_id=provider_id,
            started_at=started_at,
            status=VisitStatus.DRAFT,
            concern=concern,
            notes=notes,
            consent_recorded=consent_recorded,
            kind=VisitKind(kind),
        )
        session.add(visit)
        session.flush()
        record_event(
            session, db.actor, "create", "visit", visit.id, patient_id=patient_id, kind=visit.kind.value
        )
        changes = note(session, Changes.of_patients(patient_id))
        return carrying(SavedVisit, visit_record(_load_visit(session, visit.id)), changes)


def get_visit(db: Database, visit_id: int) -> VisitRecord:
    with db.factory() as session:
        return visit_record(_load_visit(session, visit_id))


def replace_points(
    db: Database,
    visit_id: int,
    expected_version: int,
    drafts: Sequence[PointDraft],
    fields: VisitFields | None = None,
    warning_reason: str | None = None,
) -> SavedVisit:
    """Save a draft visit: every charted point (and the visit's fields, if given) in one
    transaction. A point or total above a hard ceiling is refused with its figures;
    `warning_reason` is why the injector went on despite the safety warnings the editor
    listed ("" for none; None keeps the stored reason).

    `expected_version` is the version the user was looking at: if another workstation
    saved the visit since, nothing is written and ConflictError says so.
    """
    if fields is not None:
        check_visit_time(fields.started_at, datetime.now(UTC))
    try:
        with db.factory.begin() as session:
            visit = _load_visit(session, visit_id)
            require_charting(db, session, visit.provider_id)
            if visit.status is VisitStatus.SIGNED:
                raise ConflictError("this visit is signed and locked; record a correction as an amendment")
            if visit.version != expected_version:
                raise ConflictError(_CHANGED_ELSEWHERE)
            if fields is not None:
                require_charting(db, session, fields.provider_id)
                if session.get(Provider, fields.provider_id) is None:
                    raise NotFoundError(f"no provider with id {fields.provider_id}")
                visit.provider_id = fields.provider_id
                visit.started_at = fields.started_at
                visit.concern = fields.concern
                visit.notes = fields.notes
                visit.consent_recorded = fields.consent_recorded
            if warning_reason is not None:
                check_text(warning_reason, "warning_reason", "reason", single_line=False)
                visit.warning_reason = warning_reason.strip()
            lookup = ProductLookup(session)
            visit_date = local_date(visit.started_at, db.timezone)
            new_points = []
            for position, draft in enumerate(drafts, start=1):
                try:
                    new_points.append(build_point(lookup, draft, visit_date, position))
                except ValidationError as error:
                    raise ValidationError(f"point {position}: {error}", error.field) from None
            check_points_together(new_points)
            if not visit.imported:  # given elsewhere: not from this clinic's vials and syringes
                from app.services.packages import draw_points  # it reads lots through this module

                draw_points(session, new_points, visit.started_at, visit.id, db.timezone)
            session.execute(delete(InjectionPoint).where(InjectionPoint.visit_id == visit.id))
            session.expire(visit, ["points"])
            visit.points = new_points
            visit.updated_at = datetime.now().astimezone()  # bumps the version
            session.flush()
            session.refresh(visit, ["provider"])
            record_event(session, db.actor, "chart", "visit", visit.id, points=len(new_points))
            changes = note(session, Changes.of_patients(visit.patient_id))
            return carrying(SavedVisit, visit_record(visit), changes)
    except StaleDataError:
        raise ConflictError(_CHANGED_ELSEWHERE) from None


_CHANGED_ELSEWHERE = (
    "this visit was changed on another workstation since you opened it; reopen it to see the latest chart"
)


def list_visits(db: Database, chart_number: str) -> list[VisitSummary]:
    """A patient's visits, oldest first, each with its totals per product."""
    chart_number = chart_number.strip()
    with db.audited_read() as session:
        patient = find_by_chart(session, chart_number)
        if patient is None:
            raise NotFoundError(f"no patient with chart number {chart_number}")
        # Opening a chart is access to health information: it goes in the audit trail.
        record_event(session, db.actor, "view", "patient", patient.id)
        visits = session.scalars(
            select(Visit)
            .where(Visit.patient_id == patient.id)
            .options(selectinload(Visit.provider))
            .order_by(Visit.started_at, Visit.id)
        ).all()
        points_by_visit: dict[int, list[ChartedPoint]] = defaultdict(list)
        rows = session.execute(
            select(InjectionPoint, Product)
            .join(Product, InjectionPoint.product_id == Product.id)
            .where(InjectionPoint.visit_id.in_([v.id for v in visits]))
            .order_by(InjectionPoint.visit_id, InjectionPoint.position)
        )
        for point, product in rows:
            points_by_visit[point.visit_id].append(
                ChartedPoint(
                    point.view,
                    point.x,
                    point.y,
                    point.region_code,
                    product.name,
                    product.dose_unit,
                    point.amount,
                    point.aliquots,
                )
            )
        return [
            VisitSummary(
                id=v.id,
                external_id=v.external_id,
                started_at=v.started_at,
                status=v.status,
                provider_name=v.provider.display_name,
                provider_credentials=v.provider.credentials,
                version=v.version,
                totals=totals_by_product(points_by_visit[v.id]),
                kind=v.kind,
            )
            for v in visits
        ]


def previous_visit(db: Database, patient_id: int, before: datetime) -> VisitRecord | None:
    """The patient's last charted visit before `before` (empty drafts do not count): the
    ghost layer and "Copy previous visit"."""
    charted = select(InjectionPoint.id).where(InjectionPoint.visit_id == Visit.id).exists()
    with db.factory() as session:
        visit_id = session.scalar(
            select(Visit.id)
            .where(Visit.patient_id == patient_id, Visit.started_at < before, charted)
            .order_by(Visit.started_at.desc(), Visit.id.desc())
            .limit(1)
        )
        return None if visit_id is None else visit_record(_load_visit(session, visit_id))


@dataclass(frozen=True)
class StartingPen:
    """Where a visit's pen starts: the product, and the lot of it to pick (None: the
    editor's usual choice of lot)."""

    product_name: str
    lot_number: str | None = None


def starting_pen(db: Database, visit: VisitRecord) -> StartingPen | None:
    """The toxin the patient last had up to this visit (a Daxxify patient's templates then
    chart Daxxify at Daxxify's dose), with the lot `starting_lot` chooses; None when the
    patient never had an active toxin, and the pen starts where it always did."""
    with db.factory() as session:
        rows = session.execute(
            select(Product.name, Lot.number)
            .select_from(InjectionPoint)
            .join(Visit, InjectionPoint.visit_id == Visit.id)
            .join(Product, InjectionPoint.product_id == Product.id)
            .outerjoin(Lot, InjectionPoint.lot_id == Lot.id)
            .where(
                Visit.patient_id == visit.patient_id,
                Visit.started_at <= visit.started_at,
                Product.kind == ProductKind.NEUROMODULATOR,
                Product.active.is_(True),
            )
            .order_by(Visit.started_at.desc(), Visit.id.desc(), InjectionPoint.position.desc())
        ).all()
    if not rows:
        return None
    product_name = rows[0][0]
    last_lot = next((number for name, number in rows if name == product_name and number), None)
    lot = starting_lot(usable_lots(db, product_name, local_date(visit.started_at, db.timezone)), last_lot)
    return StartingPen(product_name, lot.number if lot else None)


@dataclass(frozen=True)
class OpenedVisit:
    """Everything the visit editor needs, read in one go off the GUI thread."""

    visit: VisitRecord
    previous: VisitRecord | None
    providers: list[ProviderRecord]
    copied_points: list[ChartedPoint]
    templates: list[ClinicTemplate]  # the clinic's own templates
    created: bool = False  # a new draft made just now, for this editor
    starting_pen: StartingPen | None = None  # None: the catalogue's first toxin
    changes: Changes = NOTHING  # what opening it changed (a new draft: the patient's visits)


def open_visit(db: Database, visit_id: int) -> OpenedVisit:
    visit = get_visit(db, visit_id)
    return OpenedVisit(
        visit,
        previous_visit(db, visit.patient_id, visit.started_at),
        list_providers(db, also=visit.provider_id),
        [],
        clinic_templates(db),
    )


def start_visit(
    db: Database,
    patient_id: int,
    copy_previous: bool = False,
    provider_id: int | None = None,
    kind: VisitKind = VisitKind.TREATMENT,
) -> OpenedVisit:
    """A new draft visit now, by the patient's usual injector. With `copy_previous`, the
    newest visit's sites, products, doses and aliquots come along without their lots:
    the lots in the drawer today are not last visit's."""
    now = datetime.now(UTC)
    previous = previous_visit(db, patient_id, now)
    providers = list_providers(db)
    if provider_id is None:
        # the injector of the last visit, unless they have since been taken off the list
        usual = [p.id for p in providers if previous is not None and p.id == previous.provider_id]
        provider_id = next(iter(usual or [p.id for p in providers]), None)
    if provider_id is None:
        raise ConflictError("register an injector before charting a visit")
    visit = create_visit(db, patient_id, provider_id, now.replace(microsecond=0), kind=kind)
    copied = []
    if copy_previous and previous is not None:
        # Sites, products, doses and aliquots; not lots (today's box) nor notes (that day's).
        copied = [replace(p, lot_number=None, lot_expiry=None, notes="") for p in previous.points]
    return OpenedVisit(
        visit,
        previous,
        providers,
        copied,
        clinic_templates(db),
        created=True,
        starting_pen=starting_pen(db, visit),
        changes=visit.changes,
    )


def discard_empty_draft(db: Database, visit_id: int, version: int) -> Changes:
    """Remove a visit made by "New visit" and closed without ever being saved, so that a
    change of mind leaves no empty visit behind. Nothing is removed if the visit was
    saved since (its version moved on, here or on another workstation) or holds anything:
    the Changes are then empty (false). An amendment opened and closed unsaved goes too:
    the signed visit it copied stays the record."""
    with db.factory.begin() as session:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.version != version or visit.status is not VisitStatus.DRAFT:
            return NOTHING
        if session.scalar(select(Photo.id).where(Photo.visit_id == visit_id).limit(1)) is not None:
            return NOTHING  # its photos are a record of the visit
        if visit.amends_visit_id is None and (
            visit.kind is VisitKind.REVIEW  # seeing the patient is a record of its own
            or visit.points
            or visit.concern
            or visit.notes
            or visit.consent_recorded
        ):
            return NOTHING
        session.delete(visit)
        record_event(session, db.actor, "discard", "visit", visit_id, reason="closed empty")
        return note(session, Changes.of_patients(visit.patient_id))
