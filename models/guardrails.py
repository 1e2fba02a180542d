"""Safety checks over a visit's points: usual doses, early re-treatment, the cumulative dose
of a toxin over a rolling window, the patient's allergies against each product's
ingredients, and the hard ceilings that catch typing errors.

Pure rules: no database, no clock, no Qt. The rules are data (resources/guardrails.json,
each with its source; the ingredients in resources/catalogue.json); a clinic may change the
rules whose source is a clinic setting (`with_overrides`). A warning asks the injector for
a reason when the visit is saved; a refusal (`refused`) is a figure that cannot be meant.
Hyaluronidase (an enzyme) has no rule: it is never blocked and asks for nothing.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any, Required, TypedDict

import resources
from models.amounts import format_dose
from models.catalogue import Catalogue, bundled_catalogue
from models.errors import ValidationError
from models.recall import area_of_region, areas
from models.records import ChartedPoint
from models.regions import REGIONS
from models.text import fold
from models.validation import ProductRule, check_amount, check_visit_totals
from models.vocabulary import DoseUnit, ProductKind

RULES_FILE = "guardrails.json"
ANY_AREA = "*"
CLINIC_SETTING = "clinic setting"


class WarningKind(StrEnum):
    SITE = "dose per site"
    AREA = "dose per area"
    VISIT = "dose per visit"
    CUMULATIVE = "cumulative dose"
    INTERVAL = "early re-treatment"
    ALLERGY = "allergy"
    CEILING = "hard ceiling"


@dataclass(frozen=True)
class SafetyWarning:
    """One broken rule, said as a clinician says it, with the figures."""

    kind: WarningKind
    product: str
    message: str
    region: str | None = None  # region code, for a per-site warning
    area: str | None = None  # area key
    amount: Decimal | None = None
    source: str = ""
    points: tuple[int, ...] = ()  # positions (0-based) of the visit's points concerned
    refused: bool = False  # a hard ceiling: the visit cannot be saved

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Range:
    low: Decimal | None
    high: Decimal | None

    def outside(self, amount: Decimal) -> bool:
        return (self.low is not None and amount < self.low) or (self.high is not None and amount > self.high)

    def text(self, unit: DoseUnit | str) -> str:
        if self.low is None:
            assert self.high is not None, "a range open at both ends is never outside"
            return f"up to {format_dose(self.high, unit)}"
        if self.high is None:
            return f"at least {format_dose(self.low, unit)}"
        return f"{format_dose(self.low, unit).split()[0]}–{format_dose(self.high, unit)}"


@dataclass(frozen=True)
class Rule:
    """One rule of guardrails.json. `products` (folded names) or `kind` says what it is for."""

    id: str
    source: str
    products: tuple[str, ...] = ()  # names as the catalogue spells them
    kind: str | None = None
    area: str = ANY_AREA
    per_site: Range | None = None
    per_area: Range | None = None
    per_visit: Range | None = None
    ceiling_site: Decimal | None = None
    ceiling_visit: Decimal | None = None
    maximum: Decimal | None = None  # cumulative
    days: int | None = None  # cumulative window, or minimum interval

    @property
    def editable(self) -> bool:
        """Rules whose figures are a clinic setting (a weak source) may be changed per clinic;
        label figures (the 400 U window, the 90 days) not."""
        return CLINIC_SETTING in self.source and self.ceiling_site is None and self.ceiling_visit is None

    def fits(self, product: str, kind: str | None) -> int:
        """How closely the rule fits a product: 2 by name, 1 by kind, 0 not at all."""
        if fold(product) in map(fold, self.products):
            return 2
        return 1 if self.kind is not None and self.kind == kind else 0


@dataclass(frozen=True)
class Allergen:
    name: str
    words: tuple[tuple[str, ...], ...]  # each a sequence of folded words
    source: str


@dataclass(frozen=True)
class Guardrails:
    usual: tuple[Rule, ...] = ()
    per_visit: tuple[Rule, ...] = ()
    ceilings: tuple[Rule, ...] = ()
    cumulative: tuple[Rule, ...] = ()
    intervals: tuple[Rule, ...] = ()
    allergens: tuple[Allergen, ...] = ()
    # folded product name -> ((allergen name, source), ...)
    ingredients: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    # (rule list, product, kind, area) -> the rule best() chose
    _chosen: dict[tuple[int, str, str | None, str | None], Rule | None] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def rules(self) -> list[Rule]:
        return [*self.usual, *self.per_visit, *self.ceilings, *self.cumulative, *self.intervals]

    def best(
        self, rules: tuple[Rule, ...], product: str, kind: str | None, area: str | None = None
    ) -> Rule | None:
        """The most specific rule: product and area, product, kind and area, kind. Remembered:
        the editor checks every point on every change, and the answer depends only on which
        of this set's rule lists, the product and the area (a few dozen combinations)."""
        key = (id(rules), product, kind, area)
        if key not in self._chosen:
            scored = [
                (rule.fits(product, kind) * 2 + (rule.area == area), rule)
                for rule in rules
                if rule.fits(product, kind) and rule.area in (ANY_AREA, area)
            ]
            self._chosen[key] = max(scored, key=lambda pair: pair[0])[1] if scored else None
        return self._chosen[key]

    def ceiling(self, product: str, kind: str | None) -> Rule | None:
        return None if kind == ProductKind.ENZYME else self.best(self.ceilings, product, kind)


# The shape of resources/guardrails.json: amounts are decimal text, a range is [low, high]
# with null for an open end.
class RuleData(TypedDict, total=False):
    id: Required[str]
    source: Required[str]
    products: list[str]
    kind: str
    area: str
    per_site: list[str | None]
    per_area: list[str | None]
    per_visit: list[str | None]
    max: str
    days: int


class CeilingData(TypedDict, total=False):
    id: Required[str]
    source: Required[str]
    products: list[str]
    kind: str
    per_site: str
    per_visit: str


class AllergenData(TypedDict):
    name: str
    words: list[str]
    source: str


class RulesFile(TypedDict):
    usual: list[RuleData]
    per_visit: list[RuleData]
    ceilings: list[CeilingData]
    cumulative: list[RuleData]
    min_interval: list[RuleData]
    allergens: list[AllergenData]


def _range(value: Sequence[str | None] | None) -> Range | None:
    if value is None:
        return None
    low, high = value
    return Range(_decimal(low), _decimal(high))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _rule(item: RuleData) -> Rule:
    return Rule(
        id=item["id"],
        source=item["source"],
        products=tuple(item.get("products", ())),
        kind=item.get("kind"),
        area=item.get("area", ANY_AREA),
        per_site=_range(item.get("per_site")),
        per_area=_range(item.get("per_area")),
        per_visit=_range(item.get("per_visit")),
        maximum=_decimal(item.get("max")),
        days=item.get("days"),
    )


def _ceiling(item: CeilingData) -> Rule:
    return Rule(
        id=item["id"],
        source=item["source"],
        products=tuple(item.get("products", ())),
        kind=item.get("kind"),
        ceiling_site=_decimal(item.get("per_site")),
        ceiling_visit=_decimal(item.get("per_visit")),
    )


def _words(text: str) -> tuple[str, ...]:
    """Folded words, apostrophes dropped: "Cow's-milk" -> ('cows', 'milk')."""
    return tuple(re.findall(r"\w+", fold(text).replace("'", "").replace("\u2019", "")))


def parse_guardrails(rules: RulesFile, catalogue: Catalogue) -> Guardrails:
    return Guardrails(
        usual=tuple(_rule(item) for item in rules["usual"]),
        per_visit=tuple(_rule(item) for item in rules["per_visit"]),
        ceilings=tuple(_ceiling(item) for item in rules["ceilings"]),
        cumulative=tuple(_rule(item) for item in rules["cumulative"]),
        intervals=tuple(_rule(item) for item in rules["min_interval"]),
        allergens=tuple(
            Allergen(a["name"], tuple(_words(w) for w in a["words"]), a["source"]) for a in rules["allergens"]
        ),
        ingredients={
            fold(p["name"]): tuple((i["name"], i["source"]) for i in p.get("ingredients", ()))
            for p in catalogue["products"]
        },
    )


@cache
def bundled() -> Guardrails:
    """The rules as shipped, before any clinic's changes."""
    with resources.path(RULES_FILE).open(encoding="utf-8") as handle:
        rules: RulesFile = json.load(handle)
    return parse_guardrails(rules, bundled_catalogue())


# ------------------------------------------------------------------ a clinic's changes

# What a clinic may change in an editable rule, and how the value is typed.
EDITABLE_FIELDS = {
    "per_site": "range",
    "per_area": "range",
    "per_visit": "range",
    "max": "amount",
    "days": "days",
}
_FIELD_ATTRIBUTE = {"max": "maximum"}

# A clinic's change as stored (JSON): a range [low, high], an amount as text, or days.
OverrideValue = list[str | None] | str | int


def parse_override(field_name: str, text: str) -> OverrideValue:
    """A typed value for one field: a range "1-4" (or "-8" for up to 8), an amount, or days."""
    kind = EDITABLE_FIELDS.get(field_name)
    if kind is None:
        raise ValidationError(
            f"{field_name!r} cannot be changed (known: {', '.join(EDITABLE_FIELDS)})", "field"
        )
    text = text.strip().replace("–", "-")
    try:
        if kind == "range":
            low_text, _, high_text = text.partition("-")
            low, high = _decimal(low_text.strip() or None), _decimal(high_text.strip() or None)
            if (low is None and high is None) or (low is not None and high is not None and low > high):
                raise ValueError
            return [None if v is None else str(v) for v in (low, high)]
        if kind == "amount":
            value = Decimal(text)
            if not value > 0:
                raise ValueError
            return str(value)
        days = int(text)
        if not 0 < days <= 3650:
            raise ValueError
        return days
    except (ValueError, InvalidOperation):
        example = {
            "range": "a range such as 1-4 (or -8 for up to 8)",
            "amount": "an amount above 0",
            "days": "a number of days from 1 to 3650",
        }[kind]
        raise ValidationError(f"{text!r} is not {example}", field_name) from None


def with_overrides(guardrails: Guardrails, overrides: Mapping[str, Mapping[str, Any]]) -> Guardrails:
    """The rules with a clinic's changes. Changes to a rule that no longer exists, is not
    editable, or to a field it does not have are ignored (a newer version may have written them).

    `overrides` is JSON as stored by any version: a value of the wrong shape is ignored too."""

    def changed(rule: Rule) -> Rule:
        values = overrides.get(rule.id)
        if not values or not rule.editable:
            return rule
        edits: dict[str, Any] = {}  # Rule attribute -> its parsed value, each of its own type
        for name, value in values.items():
            attribute = _FIELD_ATTRIBUTE.get(name, name)
            if name not in EDITABLE_FIELDS or getattr(rule, attribute, None) is None:
                continue
            try:
                edits[attribute] = (
                    _range(value)
                    if EDITABLE_FIELDS[name] == "range"
                    else _decimal(value)
                    if name == "max"
                    else int(value)
                )
            except (TypeError, ValueError, InvalidOperation):
                continue
        return replace(rule, **edits)

    return replace(
        guardrails,
        usual=tuple(map(changed, guardrails.usual)),
        per_visit=tuple(map(changed, guardrails.per_visit)),
        cumulative=tuple(map(changed, guardrails.cumulative)),
        intervals=tuple(map(changed, guardrails.intervals)),
    )


def describe_rule(rule: Rule) -> dict[str, Any]:
    """A rule as the clinic reads it (`aliquot guardrails`): a JSON object."""

    def shown(r: Range | None) -> list[str | None] | None:
        return None if r is None else [None if v is None else str(v) for v in (r.low, r.high)]

    values = {
        "per_site": shown(rule.per_site),
        "per_area": shown(rule.per_area),
        "per_visit": shown(rule.per_visit),
        "ceiling_per_site": None if rule.ceiling_site is None else str(rule.ceiling_site),
        "ceiling_per_visit": None if rule.ceiling_visit is None else str(rule.ceiling_visit),
        "max": None if rule.maximum is None else str(rule.maximum),
        "days": rule.days,
    }
    return {
        "id": rule.id,
        "for": list(rule.products) or [rule.kind],
        "area": rule.area,
        **{k: v for k, v in values.items() if v is not None},
        "source": rule.source,
        "editable": rule.editable,
    }


# ------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class PastVisit:
    """An earlier visit of the patient: its day on the clinic's clock and its points."""

    day: date
    points: tuple[ChartedPoint, ...]
    id: int | None = None


def product_rule(
    guardrails: Guardrails,
    name: str,
    unit: DoseUnit,
    kind: str | None,
    fallback_per_visit: Decimal | None = None,
) -> ProductRule:
    """What validation refuses of a product: its hard ceilings (none for an enzyme)."""
    if kind == ProductKind.ENZYME:
        return ProductRule(name, unit, None)
    rule = guardrails.ceiling(name, kind)
    if rule is None:
        return ProductRule(name, unit, fallback_per_visit)
    return ProductRule(name, unit, rule.ceiling_visit, rule.ceiling_site)


def evaluate(
    points: Sequence[ChartedPoint],
    day: date,
    history: Iterable[PastVisit],
    kinds: Mapping[str, str],
    allergies: str,
    guardrails: Guardrails,
) -> list[SafetyWarning]:
    """Every safety warning of a visit's points, refusals first, then in chart order."""
    warnings: list[SafetyWarning] = []
    warnings += _ceilings(points, kinds, guardrails)
    warnings += _unrepeated(_usual(points, kinds, guardrails))
    history = list(history)
    warnings += _cumulative(points, day, history, kinds, guardrails)
    warnings += _intervals(points, day, history, kinds, guardrails)
    warnings += allergy_warnings(points, allergies, guardrails)
    return warnings


def _ceilings(
    points: Sequence[ChartedPoint], kinds: Mapping[str, str], guardrails: Guardrails
) -> list[SafetyWarning]:
    """The same refusals as saving makes (models.validation), as warnings the editor can show."""
    found = []
    totals: dict[str, Decimal] = defaultdict(Decimal)
    rules: dict[str, ProductRule] = {}
    for index, point in enumerate(points):
        rule = rules.setdefault(
            point.product_name,
            product_rule(guardrails, point.product_name, point.unit, kinds.get(point.product_name)),
        )
        totals[point.product_name] += point.amount
        try:
            check_amount(point.amount, rule)
        except ValidationError as error:
            found.append(
                SafetyWarning(
                    WarningKind.CEILING,
                    point.product_name,
                    f"{REGIONS[point.region_code].label}: {error}",
                    region=point.region_code,
                    amount=point.amount,
                    points=(index,),
                    refused=True,
                )
            )
    for name, total in totals.items():
        try:
            check_visit_totals({name: total}, rules)
        except ValidationError as error:
            found.append(
                SafetyWarning(
                    WarningKind.CEILING,
                    name,
                    str(error)[0].upper() + str(error)[1:],
                    amount=total,
                    points=tuple(i for i, p in enumerate(points) if p.product_name == name),
                    refused=True,
                )
            )
    return found


def _usual(
    points: Sequence[ChartedPoint], kinds: Mapping[str, str], guardrails: Guardrails
) -> list[SafetyWarning]:
    found = []
    # Keyed by product and area; the area is None only for a region validation refuses.
    by_area: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    by_product: dict[str, list[int]] = defaultdict(list)
    area_of = area_of_region()
    for index, point in enumerate(points):
        area = area_of.get(point.region_code)
        by_area[(point.product_name, area)].append(index)
        by_product[point.product_name].append(index)
        rule = guardrails.best(guardrails.usual, point.product_name, kinds.get(point.product_name), area)
        if rule is not None and rule.per_site is not None and rule.per_site.outside(point.amount):
            found.append(
                SafetyWarning(
                    WarningKind.SITE,
                    point.product_name,
                    f"{format_dose(point.amount, point.unit)} {point.product_name} at"
                    f" {REGIONS[point.region_code].label} (usual {rule.per_site.text(point.unit)} per site)",
                    region=point.region_code,
                    area=area,
                    amount=point.amount,
                    source=rule.source,
                    points=(index,),
                )
            )
    for (product, area), indexes in by_area.items():
        rule = guardrails.best(guardrails.usual, product, kinds.get(product), area)
        total = sum((points[i].amount for i in indexes), Decimal(0))
        if rule is not None and rule.per_area is not None and rule.per_area.outside(total):
            unit = points[indexes[0]].unit
            found.append(
                SafetyWarning(
                    WarningKind.AREA,
                    product,
                    f"{format_dose(total, unit)} {product} in {_area_name(area)}"
                    f" (usual {rule.per_area.text(unit)} per area)",
                    area=area,
                    amount=total,
                    source=rule.source,
                    points=tuple(indexes),
                )
            )
    for product, indexes in by_product.items():
        rule = guardrails.best(guardrails.per_visit, product, kinds.get(product))
        total = sum((points[i].amount for i in indexes), Decimal(0))
        if rule is not None and rule.per_visit is not None and rule.per_visit.outside(total):
            unit = points[indexes[0]].unit
            found.append(
                SafetyWarning(
                    WarningKind.VISIT,
                    product,
                    f"{format_dose(total, unit)} {product} in this visit (usual {rule.per_visit.text(unit)} per visit)",
                    amount=total,
                    source=rule.source,
                    points=tuple(indexes),
                )
            )
    return found


def _area_name(area: str | None) -> str:
    assert area is not None, "every known region is in an area (resources/areas.json)"
    return areas()[area].name


def _unrepeated(warnings: list[SafetyWarning]) -> list[SafetyWarning]:
    """An area or visit total made of exactly the points already warned of says nothing new
    (one 100 U site is also 100 U in its area and in the visit): said once."""
    said: set[tuple[str, tuple[int, ...]]] = set()
    kept = []
    for warning in warnings:
        if (warning.product, warning.points) not in said:
            said.add((warning.product, warning.points))
            kept.append(warning)
    return kept


def _cumulative(
    points: Sequence[ChartedPoint],
    day: date,
    history: list[PastVisit],
    kinds: Mapping[str, str],
    guardrails: Guardrails,
) -> list[SafetyWarning]:
    found = []
    for product in dict.fromkeys(p.product_name for p in points):
        rule = guardrails.best(guardrails.cumulative, product, kinds.get(product))
        if rule is None or rule.maximum is None or rule.days is None:
            continue
        indexes = tuple(i for i, p in enumerate(points) if p.product_name == product)
        unit = points[indexes[0]].unit
        earlier = [
            (visit.day, p.amount)
            for visit in history
            if 0 <= (day - visit.day).days < rule.days
            for p in visit.points
            if p.product_name == product
        ]
        total = sum((points[i].amount for i in indexes), Decimal(0)) + sum(
            (a for _, a in earlier), Decimal(0)
        )
        if earlier and total > rule.maximum:
            since = min(d for d, _ in earlier)
            found.append(
                SafetyWarning(
                    WarningKind.CUMULATIVE,
                    product,
                    f"{format_dose(total, unit)} {product} within {rule.days} days"
                    f" (since {since.isoformat()}, this visit included; at most"
                    f" {format_dose(rule.maximum, unit)} in {rule.days} days)",
                    amount=total,
                    source=rule.source,
                    points=indexes,
                )
            )
    return found


def _intervals(
    points: Sequence[ChartedPoint],
    day: date,
    history: list[PastVisit],
    kinds: Mapping[str, str],
    guardrails: Guardrails,
) -> list[SafetyWarning]:
    """A toxin in an area treated with a toxin fewer than the label's days ago."""
    found = []
    area_of = area_of_region()
    seen: set[tuple[str, str | None]] = set()
    for point in points:
        area = area_of.get(point.region_code)
        rule = guardrails.best(guardrails.intervals, point.product_name, kinds.get(point.product_name))
        if rule is None or rule.days is None or (point.product_name, area) in seen:
            continue
        earlier = [
            (visit.day, p.product_name)
            for visit in history
            for p in visit.points
            if 0 <= (day - visit.day).days < rule.days
            and area_of.get(p.region_code) == area
            and kinds.get(p.product_name) == ProductKind.NEUROMODULATOR
        ]
        if not earlier:
            continue
        seen.add((point.product_name, area))
        last_day, last_product = max(earlier)
        gap = (day - last_day).days
        found.append(
            SafetyWarning(
                WarningKind.INTERVAL,
                point.product_name,
                f"{_area_name(area)} treated with {last_product} {gap} day{'' if gap == 1 else 's'} ago"
                f" ({last_day.isoformat()}); {point.product_name}: at least {rule.days} days between treatments",
                area=area,
                source=rule.source,
                points=tuple(
                    i
                    for i, p in enumerate(points)
                    if p.product_name == point.product_name and area_of.get(p.region_code) == area
                ),
            )
        )
    return found


def allergy_warnings(
    points: Sequence[ChartedPoint], allergies: str, guardrails: Guardrails
) -> list[SafetyWarning]:
    """Each product whose label lists an ingredient the patient's allergies name."""
    written = _words(allergies or "")
    if not written:
        return []
    found = []
    for product in dict.fromkeys(p.product_name for p in points):
        for ingredient, source in guardrails.ingredients.get(fold(product), ()):
            said = allergy_named(written, ingredient, guardrails)
            if said:
                found.append(
                    SafetyWarning(
                        WarningKind.ALLERGY,
                        product,
                        f'{product} contains {ingredient}; the patient\'s allergies say "{said}"',
                        source=source,
                        points=tuple(i for i, p in enumerate(points) if p.product_name == product),
                    )
                )
    return found


def allergy_named(written: tuple[str, ...], ingredient: str, guardrails: Guardrails) -> str | None:
    """The words of the allergies text that name the ingredient, or None."""
    for allergen in guardrails.allergens:
        if allergen.name != ingredient:
            continue
        for words in allergen.words:
            for start in range(len(written) - len(words) + 1):
                if written[start : start + len(words)] == words:
                    return " ".join(words)
    return None


def refusals(warnings: Iterable[SafetyWarning]) -> list[SafetyWarning]:
    return [w for w in warnings if w.refused]
