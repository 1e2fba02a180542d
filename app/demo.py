"""A synthetic clinic for demonstrations, screenshots and benchmarks.

Deterministic for a seed and an as-of date. Several providers; a lot register in which
some lots have expired; patients with 1 to 12 visits over three years of neuromodulator
and filler treatments on plausible regions, with label-like doses split into aliquots;
some patients asymmetric (a different dose left and right). Every name is invented.

Rows go in with bulk inserts, so 100,000 patients take minutes, not hours; the tests
prove the data obeys every charting rule by importing exports of it.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, note
from app.services.signing import BulkSignature, seal_many
from app.storage.database import Database
from models.errors import ConflictError
from models.recall import Treated, area_of_region, next_due_lines, side_of, standing_items
from models.regions import front_anchor
from models.tables import AppMeta, InjectionPoint, Lot, Patient, Product, Provider, UserAccount, Visit
from models.text import fold
from models.vocabulary import Depth, Role, Sex, Technique, View, VisitStatus

PROVIDERS = [
    ("Dana Reyes", "RN", "RN-448120"),
    ("Priya Natarajan", "NP", "NP-20931"),
    ("Marcus Feld", "MD", "MD-77310"),
    ("Sofía Lindqvist", "DDS", "DDS-5120"),
    ("Kenji Okafor", "PA", "PA-31877"),
]
# The demo clinic's accounts (each provider by first name, the MD as prescriber, an admin
# and a front desk), all with one password that the sign-in window shows for a demo.
DEMO_PASSWORD = "aliquot-demo"
DEMO_ADMIN = "admin"
DEMO_FRONT_DESK = "desk"
DEMO_USERS_KEY = "demo_users"  # app_meta: the demo's user names, said at sign-in

GIVEN_FEMALE = [
    "Zoë",
    "Amelia",
    "Olivia",
    "Sofia",
    "Chloé",
    "Isabela",
    "Mei",
    "Aaliyah",
    "Hannah",
    "Léa",
    "Priyanka",
    "Ingrid",
    "Camila",
    "Yuki",
    "Fatima",
    "Grace",
    "Noor",
    "Elena",
    "Siobhán",
    "Ana",
    "Maya",
    "Rachel",
    "Beatriz",
    "Dagný",
    "Helena",
    "Jia",
    "Valentina",
]
GIVEN_MALE = ["James", "Mateo", "Omar", "Lukas", "Wei", "Noah", "Rafael", "Tomás", "Arjun", "Søren"]
FAMILY = [
    "Ångström-Núñez",
    "García",
    "Nguyen",
    "Smith",
    "O'Brien",
    "Müller",
    "Kowalski",
    "Okafor",
    "Haddad",
    "Johansson",
    "Rossi",
    "Patel",
    "Kim",
    "Dubois",
    "Fernández",
    "Schmidt",
    "Chen",
    "Brennan",
    "Yamamoto",
    "Novak",
    "Silva",
    "Ivanova",
    "Larsen",
    "Moreau",
    "Abara",
    "Costa",
    "Lindqvist",
    "Mendoza",
    "Sato",
    "Walsh",
    "Ahmed",
    "Jansen",
    "Popescu",
    "Horvath",
    "Baker",
]
CJK_NAMES = [("小龙", "李"), ("美玲", "王"), ("花子", "山田"), ("지현", "김")]
ALLERGIES = ["", "", "", "", "", "lidocaine", "penicillin", "latex", "egg (albumin)", "bee stings"]
CONCERNS_ASYMMETRIC = [
    "left brow higher at rest",
    "right brow higher at rest and in animation",
    "asymmetric smile: left oral commissure lower",
    "left crow's feet deeper than right",
]


@dataclass(frozen=True)
class Site:
    region: str
    per_aliquot: str  # the dose of one deposit; the site's amount is per_aliquot x aliquots
    aliquots: int


@dataclass(frozen=True)
class Treatment:
    """A typical treatment: product family, depth, technique and its sites."""

    products: tuple[str, ...]
    depth: Depth
    technique: Technique
    gauges: tuple[str, ...]
    sites: tuple[Site, ...]
    asymmetric: bool = False  # may be charted with one more aliquot on one side


def _bilateral(region: str, per_aliquot: str, aliquots: int) -> tuple[Site, Site]:
    return (Site(f"{region}_l", per_aliquot, aliquots), Site(f"{region}_r", per_aliquot, aliquots))


# Toxins reconstituted to 4 U per 0.1 mL, dosed alike (never converted into each other).
TOXIN_4U = ("Botox Cosmetic", "Xeomin", "Jeuveau", "Letybo")
TREATMENTS: dict[str, Treatment] = {
    # Label glabellar dose: 20 U as 5 x 4 U (1 procerus, 2 per corrugator).
    "glabella": Treatment(
        TOXIN_4U,
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("30G", "32G"),
        (Site("procerus", "4", 1), *_bilateral("corrugator", "4", 2)),
    ),
    # Dysport label: 50 U as 5 x 10 U; Daxxify: 40 U as 5 x 8 U.
    "glabella_dysport": Treatment(
        ("Dysport",),
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("30G",),
        (Site("procerus", "10", 1), *_bilateral("corrugator", "10", 2)),
    ),
    "glabella_daxxify": Treatment(
        ("Daxxify",),
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("30G",),
        (Site("procerus", "8", 1), *_bilateral("corrugator", "8", 2)),
    ),
    # Lateral canthal: 12 U per side as 3 x 4 U.
    "crows_feet": Treatment(
        TOXIN_4U,
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("30G", "32G"),
        _bilateral("crows_feet", "4", 3),
        asymmetric=True,
    ),
    # Forehead: 20 U as 5 x 4 U, given with the glabella.
    "forehead": Treatment(
        TOXIN_4U,
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("32G",),
        (Site("forehead", "4", 1), *_bilateral("forehead", "4", 2)),
        asymmetric=True,
    ),
    "masseter": Treatment(
        TOXIN_4U,
        Depth.INTRAMUSCULAR,
        Technique.NEEDLE,
        ("30G",),
        _bilateral("masseter", "5", 5),
        asymmetric=True,
    ),
    "gummy_smile": Treatment(
        TOXIN_4U, Depth.INTRAMUSCULAR, Technique.NEEDLE, ("32G",), _bilateral("llsan", "2", 1)
    ),
    "lips": Treatment(
        ("Restylane Kysse", "Juvéderm Volbella XC", "Belotero Balance"),
        Depth.SUBDERMAL,
        Technique.NEEDLE,
        ("30G",),
        (
            *_bilateral("upper_lip", "0.05", 5),
            *_bilateral("lower_lip", "0.05", 4),
            Site("cupids_bow", "0.025", 2),
        ),
    ),
    "cheeks": Treatment(
        ("Juvéderm Voluma XC", "Restylane Lyft", "RHA 4"),
        Depth.SUPRAPERIOSTEAL,
        Technique.CANNULA,
        ("25G", "27G"),
        _bilateral("cheek", "0.25", 3),
        asymmetric=True,
    ),
    "nasolabial": Treatment(
        ("Restylane Defyne", "RHA 3", "Juvéderm Vollure XC"),
        Depth.SUBDERMAL,
        Technique.CANNULA,
        ("25G",),
        _bilateral("nasolabial", "0.2", 3),
    ),
    "tear_trough": Treatment(
        ("Belotero Balance", "Restylane Silk"),
        Depth.SUPRAPERIOSTEAL,
        Technique.CANNULA,
        ("27G",),
        _bilateral("tear_trough", "0.15", 2),
    ),
    "chin": Treatment(
        ("Juvéderm Volux XC", "Radiesse"),
        Depth.SUPRAPERIOSTEAL,
        Technique.NEEDLE,
        ("27G",),
        (Site("chin", "0.25", 4),),
    ),
    "jawline": Treatment(
        ("Juvéderm Volux XC",),
        Depth.SUPRAPERIOSTEAL,
        Technique.CANNULA,
        ("25G",),
        _bilateral("jawline", "0.25", 4),
    ),
    "marionette": Treatment(
        ("Restylane Refyne", "RHA 2"),
        Depth.SUBDERMAL,
        Technique.CANNULA,
        ("27G",),
        _bilateral("marionette", "0.15", 3),
    ),
    "biostimulator": Treatment(
        ("Sculptra",),
        Depth.SUBDERMAL,
        Technique.CANNULA,
        ("25G",),
        (*_bilateral("cheek", "0.2", 10), *_bilateral("temple", "0.2", 5)),
    ),
}
# Plans a patient follows visit after visit: toxin every 3-4 months, filler yearly or so.
TOXIN_PLANS = [
    ("glabella",),
    ("glabella", "crows_feet"),
    ("glabella", "crows_feet", "forehead"),
    ("glabella_dysport",),
    ("glabella_daxxify",),
    ("masseter",),
    ("glabella", "gummy_smile"),
]
FILLER_PLANS = [
    ("lips",),
    ("cheeks",),
    ("cheeks", "nasolabial"),
    ("tear_trough",),
    ("chin",),
    ("chin", "jawline"),
    ("marionette", "lips"),
    ("biostimulator",),
]


@dataclass
class DemoReport:
    patients: int
    visits: int
    points: int
    lots: int
    providers: int
    changes: Changes = field(default=NOTHING, compare=False)  # what generating changed


class _Ids:
    """Primary keys handed out in Python so that rows can be inserted in bulk."""

    def __init__(self, start: int):
        self.next = start

    def take(self) -> int:
        self.next += 1
        return self.next


def generate_demo(
    db: Database,
    patients: int = 200,
    seed: int = 1,
    as_of: date | None = None,
    batch: int = 20_000,
    users: bool = False,
) -> DemoReport:
    """Fill an EMPTY database with a synthetic clinic (never mixed into real records).
    With `users`, the clinic has demo accounts (one password for all, said at sign-in)
    and its visits are signed by their injectors' accounts; without, it works without
    signing in, its visits signed in the injectors' names."""
    as_of = as_of or date.today()
    rng = random.Random(seed)
    uuid_rng = random.Random(seed * 7919 + 1)
    tz = db.timezone  # clinic hours on the clinic's clock, daylight saving included
    with db.factory.begin() as session:
        if session.scalar(select(func.count()).select_from(Patient)):
            raise ConflictError(
                f"{db.name} already holds patients; demo data only goes into an empty database"
            )
        products = {p.name: p for p in session.scalars(select(Product))}
        products_by_id = {p.id: p for p in products.values()}
        provider_ids = []
        for name, credentials, licence in PROVIDERS:
            provider = Provider(
                display_name=name,
                name_key=fold(name),
                credentials=credentials,
                licence_number=licence,
                active=True,
            )
            session.add(provider)
            session.flush()
            provider_ids.append(provider.id)
        signers = _demo_users(session) if users else _account_less_signers(session)
        lots = _lot_register(session, rng, products, as_of)
        signatures: dict[int, BulkSignature] = {}

        patient_ids = _Ids(0)
        visit_ids = _Ids(0)
        patient_rows: list[dict[str, Any]] = []
        visit_rows: list[dict[str, Any]] = []
        point_rows: list[dict[str, Any]] = []
        totals = [0, 0, 0]

        def flush_rows() -> None:
            for table, rows in ((Patient, patient_rows), (Visit, visit_rows), (InjectionPoint, point_rows)):
                if rows:
                    session.execute(insert(table), rows)
                    rows.clear()
            seal_many(db, session, signatures)
            signatures.clear()

        width = max(4, len(str(patients)))
        for n in range(1, patients + 1):
            patient_id = patient_ids.take()
            row = _patient_row(rng, patient_id, f"A-{n:0{width}d}", as_of)
            patient_rows.append(row)
            totals[0] += 1
            history: list[Treated] = []
            for visit_row, points in _patient_visits(
                rng, uuid_rng, row, products, lots, provider_ids, as_of, tz
            ):
                visit_row["id"] = visit_ids.take()
                visit_rows.append(visit_row)
                for position, point in enumerate(points, start=1):
                    point.update(visit_id=visit_row["id"], position=position)
                    point_rows.append(point)
                day = visit_row["started_at"].date()
                history += _treated(patient_id, day, points, products_by_id)
                if visit_row["signed_by_id"] is not None:
                    signatures[visit_row["id"]] = _demo_signature(
                        visit_row, signers[visit_row["provider_id"]], history, day
                    )
                totals[1] += 1
                totals[2] += len(points)
            if len(point_rows) >= batch:
                flush_rows()
        flush_rows()
        _advance_key_sequences(session, (Patient, Visit))
        # every patient is new: the recall summary is built for them all as this commits
        changes = note(
            session,
            Changes(patients=frozenset(session.scalars(select(Patient.id))), providers=True, catalogue=True),
        )
        record_event(
            session, db.actor, "demo", "database", None, patients=patients, seed=seed, as_of=as_of.isoformat()
        )
        return DemoReport(totals[0], totals[1], totals[2], len(lots_flat(lots)), len(provider_ids), changes)


def _demo_users(session: Session) -> dict[int, UserAccount]:
    """The demo clinic's accounts; returns the injector or prescriber of each provider."""
    password_hash = PasswordHasher().hash(DEMO_PASSWORD)
    signers = {}
    for provider in session.scalars(select(Provider).order_by(Provider.id)):
        username = fold(provider.display_name.split()[0])
        role = Role.PRESCRIBER if provider.credentials == "MD" else Role.INJECTOR
        user = UserAccount(
            username=username,
            username_key=username,
            full_name=provider.display_name,
            role=role,
            provider=provider,
            password_hash=password_hash,
            active=True,
            failed_attempts=0,
        )
        session.add(user)
        signers[provider.id] = user
    for username, name, role in (
        (DEMO_ADMIN, "Clinic administrator", Role.ADMIN),
        (DEMO_FRONT_DESK, "Front desk", Role.FRONT_DESK),
    ):
        session.add(
            UserAccount(
                username=username,
                username_key=username,
                full_name=name,
                role=role,
                password_hash=password_hash,
                active=True,
                failed_attempts=0,
            )
        )
    session.flush()
    names = sorted([DEMO_ADMIN, DEMO_FRONT_DESK, *(u.username for u in signers.values())])
    session.add(AppMeta(key=DEMO_USERS_KEY, value=json.dumps({"users": names, "password": DEMO_PASSWORD})))
    for user in session.scalars(select(UserAccount).order_by(UserAccount.id)):
        record_event(
            session, DEMO_ADMIN, "create", "user", user.id, username=user.username, role=user.role.value
        )
    return signers


def _account_less_signers(session: Session) -> dict[int, UserAccount]:
    """Each provider as the signer of their visits, with no account behind (never stored)."""
    return {
        provider.id: UserAccount(
            id=None,
            username="",
            full_name=provider.display_name,
            role=Role.PRESCRIBER if provider.credentials == "MD" else Role.INJECTOR,
            provider=provider,
        )
        for provider in session.scalars(select(Provider).order_by(Provider.id))
    }


def _treated(
    patient_id: int, day: date, points: list[dict[str, Any]], products: dict[int, Product]
) -> list[Treated]:
    """What the recall rules need of a generated visit (as models.recall reads a chart)."""
    region_area = area_of_region()
    facts = []
    for point in points:
        product = products[point["product_id"]]
        facts.append(
            Treated(
                patient_id,
                day,
                region_area[point["region_code"]],
                product.name,
                product.kind.value,
                product.interval_min_days,
                product.interval_max_days,
                side_of(point["region_code"]),
            )
        )
    return facts


def _demo_signature(
    visit: dict[str, Any], signer: UserAccount, history: list[Treated], day: date
) -> BulkSignature:
    """A demo visit signed by its injector 40 minutes after it began, its next-due dates
    worked out from the chart up to that day (as signing does)."""
    person = {
        "name": signer.full_name,
        "credentials": signer.provider.credentials if signer.provider else "",
        "licence": (signer.provider.licence_number or "") if signer.provider else "",
    }
    due = next_due_lines(item for item in standing_items(history) if item.last_treated == day)
    return BulkSignature(
        patient_id=visit["patient_id"],
        user_id=signer.id,
        signer={**person, "role": signer.role.value, "username": signer.username},
        signed_at=visit["started_at"] + timedelta(minutes=40),
        snapshot={"injector": {**person, "role": "", "username": ""}, "next_due": due, "warnings": []},
    )


def _advance_key_sequences(session: Session, tables: Iterable[type[Patient | Visit]]) -> None:
    """PostgreSQL hands out keys from sequences that bulk rows with their own keys did not
    use; move each past the largest key so the next ordinary insert does not collide."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        name = table.__tablename__
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT MAX(id) FROM {name}))")
        )


def lots_flat(lots: dict[str, list[Lot]]) -> list[Lot]:
    return [lot for product_lots in lots.values() for lot in product_lots]


def _lot_register(
    session: Session, rng: random.Random, products: dict[str, Product], as_of: date
) -> dict[str, list[Lot]]:
    """A new lot of each product every ~4 months since 3.5 years ago; toxins keep 2 years,
    fillers 3. Lots whose expiry has passed stay in the register, as real ones do."""
    register: dict[str, list[Lot]] = {}
    used = {name for t in TREATMENTS.values() for name in t.products}
    for name in sorted(used):
        product = products[name]
        shelf_days = 730 if product.dose_unit.value == "U" else 1095
        received = as_of - timedelta(days=1290)
        register[name] = []
        while received <= as_of:
            prefix = "".join(ch for ch in name.upper() if ch.isalpha())[:2]
            lot = Lot(
                product_id=product.id,
                number=f"{prefix}{rng.randrange(10_000, 99_999)}",
                received=received,
                expiry=received + timedelta(days=shelf_days),
                notes="",
            )
            if any(existing.number == lot.number for existing in register[name]):
                continue
            session.add(lot)
            register[name].append(lot)
            received += timedelta(days=rng.randint(100, 140))
    session.flush()
    return register


def _patient_row(rng: random.Random, patient_id: int, chart: str, as_of: date) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.03:
        given, family = rng.choice(CJK_NAMES)
        sex = Sex.FEMALE if given != "小龙" else Sex.MALE
    elif roll < 0.88:
        given, family, sex = rng.choice(GIVEN_FEMALE), rng.choice(FAMILY), Sex.FEMALE
    else:
        given, family, sex = rng.choice(GIVEN_MALE), rng.choice(FAMILY), Sex.MALE
    born = as_of - timedelta(days=rng.randint(21 * 365, 72 * 365))
    email_name = fold(f"{given}.{family}").encode("ascii", "ignore").decode().replace(" ", "")
    now = datetime.now().astimezone()
    return {
        "id": patient_id,
        "chart_number": chart,
        "given_name": given,
        "family_name": family,
        "search_key": fold(f"{family} {given} {chart}"),
        "date_of_birth": born,
        "sex": sex,
        "phone": f"+1 555-01{rng.randrange(100):02d}" if rng.random() < 0.9 else None,
        "email": f"{email_name or 'patient'}{patient_id}@example.com" if rng.random() < 0.8 else None,
        "allergies": rng.choice(ALLERGIES),
        "medical_notes": "",
        "archived": rng.random() < 0.02,
        "created_at": now,
        "updated_at": now,
    }


def _patient_visits(
    rng: random.Random,
    uuid_rng: random.Random,
    patient: dict[str, Any],
    products: dict[str, Product],
    lots: dict[str, list[Lot]],
    provider_ids: list[int],
    as_of: date,
    tz: ZoneInfo,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Yield (visit row, point rows) for one patient's history."""
    visit_count = min(12, max(1, int(rng.expovariate(1 / 4.5)) + 1))
    toxin_plan = rng.choice(TOXIN_PLANS) if rng.random() < 0.85 else ()
    filler_plan = rng.choice(FILLER_PLANS) if rng.random() < 0.55 or not toxin_plan else ()
    asymmetric_side = rng.choice([None, None, None, "l", "r"])
    provider_id = rng.choice(provider_ids)
    day = as_of - timedelta(days=rng.randint(30, 3 * 365))
    # One brand of 4 U-per-0.1 mL toxin per patient, as a clinic keeps a patient on it.
    preferred_toxin = rng.choice(TOXIN_4U)
    product_of_treatment: dict[str, str] = {}
    review = False  # the ~2-week review after a first toxin treatment
    for number in range(visit_count):
        if day > as_of:
            break
        plan = []
        if review:
            concern = "two-week review"
        else:
            plan = list(toxin_plan)
            if filler_plan and (number == 0 or rng.random() < 0.35):
                plan += list(filler_plan)
            if not plan:
                plan = list(filler_plan)
            concern = rng.choice(CONCERNS_ASYMMETRIC) if asymmetric_side and number == 0 else ""
        started = datetime.combine(day, time(9 + rng.randrange(9), rng.choice((0, 15, 30, 45))), tz)
        signed = day < as_of or rng.random() < 0.5
        visit = {
            "patient_id": patient["id"],
            "provider_id": provider_id if rng.random() < 0.85 else rng.choice(provider_ids),
            "started_at": started,
            "status": VisitStatus.DRAFT,  # signed below, once its points are in (models/integrity.py)
            "concern": concern,
            "notes": "",
            "consent_recorded": True,
            "signed_at": None,
            "signed_by_id": None,
            "version": 1,
            "external_id": uuid.UUID(int=uuid_rng.getrandbits(128), version=4).hex,
            "created_at": started,
            "updated_at": started,
        }
        visit["signed_by_id"] = visit["provider_id"] if signed else None  # the seal comes later
        points = []
        for key in plan:
            treatment = TREATMENTS[key]
            if key not in product_of_treatment:
                product_of_treatment[key] = (
                    preferred_toxin
                    if preferred_toxin in treatment.products
                    else rng.choice(treatment.products)
                )
            product = products[product_of_treatment[key]]
            lot = _lot_on(lots[product.name], day)
            gauge = rng.choice(treatment.gauges)
            for site in treatment.sites:
                aliquots = site.aliquots
                if treatment.asymmetric and asymmetric_side and site.region.endswith("_" + asymmetric_side):
                    aliquots += 1  # the weaker side gets one more deposit of the same dose
                points.append(_point_row(rng, site, aliquots, product, lot, treatment, gauge))
        if review and toxin_plan and rng.random() < 0.5:
            # A touch-up: one more aliquot where the first treatment fell short.
            treatment = TREATMENTS[toxin_plan[0]]
            product = products[product_of_treatment[toxin_plan[0]]]
            site = rng.choice(treatment.sites)
            points.append(
                _point_row(
                    rng, site, 1, product, _lot_on(lots[product.name], day), treatment, treatment.gauges[0]
                )
            )
        yield visit, points
        # Toxin patients return every 3-5 months, filler-only patients every 6-14.
        review = number == 0 and bool(toxin_plan) and rng.random() < 0.3
        if review:
            day += timedelta(days=rng.randint(12, 16))
        elif toxin_plan:
            day += timedelta(days=rng.randint(95, 150))
        else:
            day += timedelta(days=rng.randint(180, 420))


def _point_row(
    rng: random.Random,
    site: Site,
    aliquots: int,
    product: Product,
    lot: Lot,
    treatment: Treatment,
    gauge: str,
) -> dict[str, Any]:
    x, y = front_anchor(site.region)
    return {
        "view": View.FRONT,
        "x": round(min(1.0, max(0.0, x + rng.uniform(-0.012, 0.012))), 4),
        "y": round(min(1.0, max(0.0, y + rng.uniform(-0.01, 0.01))), 4),
        "region_code": site.region,
        "product_id": product.id,
        "lot_id": lot.id,
        "amount": Decimal(site.per_aliquot) * aliquots,
        "aliquots": aliquots,
        "depth": treatment.depth,
        "technique": treatment.technique,
        "gauge": gauge,
        "notes": "",
    }


def _lot_on(register: list[Lot], day: date) -> Lot:
    """The newest lot received by `day` and still in date on it."""
    usable = [
        lot
        for lot in register
        if lot.received is not None and lot.expiry is not None and lot.received <= day <= lot.expiry
    ]
    return max(usable, key=lambda lot: lot.received or day)  # every usable lot has its day
