"""Dose totals of charted points: per product, per region, per side of the face.

Amounts are only ever added within one product: 20 U of Botox and 50 U of Dysport are
two totals, never 70 "units". Left is weighed against right only within one paired area
(masseter left against masseter right): 25 U in the left masseter and 1 U in the right
LLSAN are two one-sided treatments, not "24 U more left".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from models.amounts import format_dose
from models.recall import area_of_region, areas
from models.records import ChartedPoint, ProductTotal
from models.regions import REGIONS
from models.vocabulary import DoseUnit, Side


@dataclass(slots=True)
class _RunningTotal:
    """One product's sums while `totals_by_product` walks the points."""

    unit: DoseUnit
    amount: Decimal = field(default_factory=Decimal)
    aliquots: int = 0
    sites: int = 0


def totals_by_product(points: Iterable[ChartedPoint]) -> list[ProductTotal]:
    """One total per product, in the order products were first charted."""
    sums: dict[str, _RunningTotal] = {}
    for p in points:
        entry = sums.setdefault(p.product_name, _RunningTotal(p.unit))
        entry.amount += p.amount
        entry.aliquots += p.aliquots
        entry.sites += 1
    return [ProductTotal(name, s.unit, s.amount, s.aliquots, s.sites) for name, s in sums.items()]


def totals_by_region(points: Iterable[ChartedPoint]) -> dict[str, list[ProductTotal]]:
    """Per region code, the product totals charted there, regions in catalogue order."""
    grouped: dict[str, list[ChartedPoint]] = {}
    for p in points:
        grouped.setdefault(p.region_code, []).append(p)
    order = {code: i for i, code in enumerate(REGIONS)}
    return {
        code: totals_by_product(grouped[code])
        for code in sorted(grouped, key=lambda c: order.get(c, len(order)))
    }


@dataclass(frozen=True)
class SideTotals:
    """One product's amounts on the patient's left, right and midline."""

    product_name: str
    unit: DoseUnit
    left: Decimal
    right: Decimal
    midline: Decimal

    @property
    def left_minus_right(self) -> Decimal:
        """Positive when more went to the patient's left: the asymmetry being corrected."""
        return self.left - self.right


def totals_by_side(points: Iterable[ChartedPoint]) -> list[SideTotals]:
    sums: dict[str, tuple[DoseUnit, dict[Side, Decimal]]] = {}
    for p in points:
        _unit, by_side = sums.setdefault(p.product_name, (p.unit, {side: Decimal(0) for side in Side}))
        by_side[REGIONS[p.region_code].side] += p.amount
    return [
        SideTotals(name, unit, s[Side.LEFT], s[Side.RIGHT], s[Side.MIDLINE])
        for name, (unit, s) in sums.items()
    ]


@dataclass(frozen=True)
class PairedTotals:
    """One product in one paired group of regions (a treatment area such as the masseters,
    or one region's left and right): the patient's left against right, the midline apart."""

    key: str  # the area key or the region's pair code
    name: str  # "Masseters" (an area), "Masseter" (a region)
    product_name: str
    unit: DoseUnit
    left: Decimal
    right: Decimal
    midline: Decimal
    paired: bool  # the group has left and right regions at all (the chin has not)

    @property
    def left_minus_right(self) -> Decimal:
        """Positive when more went to the patient's left of this area."""
        return self.left - self.right


def _pair(
    points: Iterable[ChartedPoint], group_of: dict[str, tuple[str, str]], order: list[str]
) -> list[PairedTotals]:
    """Sum each product per group of regions and side; groups in `order`, products in the
    order they were first charted."""
    sums: dict[tuple[str, str], tuple[DoseUnit, dict[Side, Decimal]]] = {}
    for p in points:
        key = group_of[p.region_code][0]
        _unit, by_side = sums.setdefault((key, p.product_name), (p.unit, {side: Decimal(0) for side in Side}))
        by_side[REGIONS[p.region_code].side] += p.amount
    sided = {group_of[code][0] for code, r in REGIONS.items() if r.side is not Side.MIDLINE}
    names = {key: name for key, name in group_of.values()}
    rank = {key: i for i, key in enumerate(order)}
    return [
        PairedTotals(
            key, names[key], product, unit, s[Side.LEFT], s[Side.RIGHT], s[Side.MIDLINE], key in sided
        )
        for (key, product), (unit, s) in sorted(sums.items(), key=lambda item: rank[item[0][0]])
    ]


def totals_by_paired_area(points: Iterable[ChartedPoint]) -> list[PairedTotals]:
    """Per treatment area (resources/areas.json) and product: left against right."""
    names = {key: area.name for key, area in areas().items()}
    group_of = {code: (key, names[key]) for code, key in area_of_region().items()}
    return _pair(points, group_of, list(names))


def totals_by_paired_region(points: Iterable[ChartedPoint]) -> list[PairedTotals]:
    """Per region, its left and right side together, and product: 'Masseter — left 25 U,
    right 0 U'. A midline region stands alone (its amount in `midline`)."""
    group_of = {code: (r.pair_code, r.pair_label) for code, r in REGIONS.items()}
    return _pair(points, group_of, list(dict.fromkeys(r.pair_code for r in REGIONS.values())))


def describe_difference(totals: PairedTotals) -> str:
    """'25 U more left', 'even', or '—' where no side of the area was treated."""
    if not totals.paired or totals.left == totals.right == 0:
        return "—"
    difference = totals.left_minus_right
    if difference == 0:
        return "even"
    return f"{format_dose(abs(difference), totals.unit)} more {'left' if difference > 0 else 'right'}"


def describe_pair(totals: PairedTotals) -> str:
    """'left 25 U, right 0 U, 25 U more left' (with the midline where some went there);
    an area treated on the midline only reads '4 U, midline'."""
    if not totals.paired or totals.left == totals.right == 0:
        return f"{format_dose(totals.midline, totals.unit)}, midline"
    parts = [
        f"left {format_dose(totals.left, totals.unit)}",
        f"right {format_dose(totals.right, totals.unit)}",
    ]
    if totals.midline:
        parts.append(f"midline {format_dose(totals.midline, totals.unit)}")
    return ", ".join(parts + [describe_difference(totals)])


def sided_rows(rows: Iterable[PairedTotals]) -> list[PairedTotals]:
    """The rows whose left or right was treated: the ones a balance can be read from."""
    return [t for t in rows if t.paired and (t.left or t.right)]


def balance_per_product(points: Iterable[ChartedPoint]) -> list[tuple[ProductTotal, str]]:
    """Per product its whole-face total and, in one line, left against right in each paired
    area it went to: 'Masseters: left 25 U, right 0 U, 25 U more left' (for legends)."""
    points = list(points)
    pairs = sided_rows(totals_by_paired_area(points))
    return [
        (
            total,
            "; ".join(f"{t.name}: {describe_pair(t)}" for t in pairs if t.product_name == total.product_name),
        )
        for total in totals_by_product(points)
    ]


def packages_implied(
    points: Iterable[ChartedPoint], default_size: Decimal | None
) -> tuple[Decimal, tuple[Decimal, ...]] | None:
    """How many vials or syringes one product's points use, and the sizes counted, smallest
    first: each point's amount over its lot's size (40 U from a 50 U lot is 0.8 of a vial),
    over the product's `default_size` only where the lot's size is unknown. None when no
    point was charted or a point's size is not known at all."""
    share = Decimal(0)
    sizes: set[Decimal] = set()
    for point in points:
        size = point.lot_package_size or default_size
        if not size:
            return None
        share += point.amount / size
        sizes.add(size)
    if not sizes:
        return None
    return share.quantize(Decimal("0.01")), tuple(sorted(sizes))


def describe_packages(points: Iterable[ChartedPoint], default_size: Decimal | None) -> str:
    """What one product's points use: '0.8 of a 50 U vial', '1.6 syringes of 1 mL', or
    with lots of several sizes '1.2 vials (50 U and 100 U)' (toxins come in vials, fillers
    in syringes); "" when a size is unknown."""
    points = list(points)
    implied = packages_implied(points, default_size)
    if implied is None:
        return ""
    share, sizes = implied
    unit = points[0].unit
    container = unit.package
    count = format(share.normalize(), "f")
    named = " and ".join(format_dose(size, unit) for size in sizes)
    if len(sizes) > 1:
        return f"{count} of a {container} ({named})" if share <= 1 else f"{count} {container}s ({named})"
    if share <= 1:
        return f"{count} of a {named} {container}"
    return f"{count} {container}s of {named}"


def packages_by_product(
    points: Iterable[ChartedPoint], default_sizes: Mapping[str, Decimal | None]
) -> dict[str, str]:
    """Per product name, `describe_packages` of its points; `default_sizes` holds each
    product's default package size (a product missing there counts its lots' sizes only)."""
    grouped: dict[str, list[ChartedPoint]] = {}
    for point in points:
        grouped.setdefault(point.product_name, []).append(point)
    return {name: describe_packages(group, default_sizes.get(name)) for name, group in grouped.items()}
