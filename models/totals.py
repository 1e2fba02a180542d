"""Dose totals of charted points: per product, per region, per side of the face.

Amounts are only ever added within one product: 20 U of Botox and 50 U of Dysport are
two totals, never 70 "units".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from models.records import ChartedPoint, ProductTotal
from models.regions import REGIONS
from models.vocabulary import DoseUnit, Side


def totals_by_product(points: Iterable[ChartedPoint]) -> list[ProductTotal]:
    """One total per product, in the order products were first charted."""
    sums: dict[str, list] = {}
    for p in points:
        entry = sums.setdefault(p.product_name, [p.unit, Decimal(0), 0, 0])
        entry[1] += p.amount
        entry[2] += p.aliquots
        entry[3] += 1
    return [ProductTotal(name, unit, amount, aliquots, sites)
            for name, (unit, amount, aliquots, sites) in sums.items()]


def totals_by_region(points: Iterable[ChartedPoint]) -> dict[str, list[ProductTotal]]:
    """Per region code, the product totals charted there, regions in catalogue order."""
    grouped: dict[str, list[ChartedPoint]] = {}
    for p in points:
        grouped.setdefault(p.region_code, []).append(p)
    order = {code: i for i, code in enumerate(REGIONS)}
    return {code: totals_by_product(grouped[code])
            for code in sorted(grouped, key=lambda c: order.get(c, len(order)))}


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
        unit, by_side = sums.setdefault(
            p.product_name, (p.unit, {side: Decimal(0) for side in Side})
        )
        by_side[REGIONS[p.region_code].side] += p.amount
    return [SideTotals(name, unit, s[Side.LEFT], s[Side.RIGHT], s[Side.MIDLINE])
            for name, (unit, s) in sums.items()]


def packages_implied(total: Decimal, package_size: Decimal | None) -> Decimal | None:
    """How many vials or syringes a total uses: 44 U of a 100 U vial is 0.44."""
    if not package_size:
        return None
    return (total / package_size).quantize(Decimal("0.01"))


def describe_packages(total: Decimal, package_size: Decimal | None, unit: DoseUnit) -> str:
    """'0.44 of a 100 U vial', '1.6 syringes of 1 mL' (toxins come in vials, fillers in syringes)."""
    share = packages_implied(total, package_size)
    if share is None:
        return ""
    size = f"{format(package_size.normalize(), 'f')} {unit.value}"
    container = "vial" if unit is DoseUnit.UNITS else "syringe"
    if share <= 1:
        return f"{format(share.normalize(), 'f')} of a {size} {container}"
    return f"{format(share.normalize(), 'f')} {container}s of {size}"
