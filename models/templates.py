"""Injection templates: a label pattern placed in one click, then nudged by the injector.

Templates are data (resources/templates.json, and the clinic's own, saved from a chart).
A template gives the sites and, per product, the dose at each site; the pen supplies
the product, lot, gauge and the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Required, TypedDict

import resources
from models.amounts import amount_from_data
from models.chart import Pen
from models.errors import ValidationError
from models.records import ChartedPoint
from models.vocabulary import Depth, Technique, View

TEMPLATE_FILE = "templates.json"


@dataclass(frozen=True)
class TemplateSite:
    region_code: str
    x: float
    y: float


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    label: str  # short, for a toolbar button
    view: View
    doses: dict[str, Decimal]  # product name -> amount at each site
    sites: tuple[TemplateSite, ...]
    depth: Depth | None = None
    technique: Technique | None = None
    source: str = ""

    def total(self, product_name: str) -> Decimal:
        return self.doses[product_name] * len(self.sites)

    def points_for(self, pen: Pen) -> list[ChartedPoint]:
        """The template's sites with the pen's product at the template's dose."""
        if pen.product_name not in self.doses:
            known = ", ".join(self.doses)
            raise ValidationError(
                f"the {self.name} template has doses for {known}, not {pen.product_name}", "product"
            )
        dosed = replace(
            pen,
            amount=self.doses[pen.product_name],
            aliquots=1,
            depth=self.depth or pen.depth,
            technique=self.technique or pen.technique,
        )
        return [dosed.point_at(self.view, s.x, s.y, s.region_code) for s in self.sites]


@dataclass(frozen=True)
class ClinicTemplate:
    """A pattern saved from a chart: its own products, doses and aliquots."""

    key: str
    name: str
    points: tuple[ChartedPoint, ...]

    @property
    def view(self) -> View:
        return self.points[0].view if self.points else View.FRONT

    def points_for(self, pen: Pen) -> list[ChartedPoint]:
        """The saved points; the pen's lot goes to points of the pen's product, the others
        are placed without a lot (and flagged) until one is chosen."""
        return [
            replace(p, lot_number=pen.lot_number, lot_expiry=pen.lot_expiry)
            if p.product_name == pen.product_name
            else p
            for p in self.points
        ]


class TemplateSiteData(TypedDict):
    region: str
    x: float
    y: float


class TemplateData(TypedDict, total=False):
    """One template of resources/templates.json."""

    key: Required[str]
    name: Required[str]
    label: str  # the name when left out
    view: Required[str]
    doses: Required[dict[str, str]]  # product name -> amount, as text
    points: Required[list[TemplateSiteData]]
    depth: str
    technique: str
    source: str


class TemplatesFile(TypedDict):
    version: int
    templates: list[TemplateData]


def template_from_data(data: TemplateData) -> Template:
    return Template(
        key=data["key"],
        name=data["name"],
        label=data.get("label", data["name"]),
        view=View(data["view"]),
        doses={name: amount_from_data(amount) for name, amount in data["doses"].items()},
        sites=tuple(TemplateSite(p["region"], p["x"], p["y"]) for p in data["points"]),
        depth=Depth(data["depth"]) if data.get("depth") else None,
        technique=Technique(data["technique"]) if data.get("technique") else None,
        source=data.get("source", ""),
    )


def bundled_templates() -> list[Template]:
    with resources.path(TEMPLATE_FILE).open(encoding="utf-8") as handle:
        data: TemplatesFile = json.load(handle)
    return [template_from_data(t) for t in data["templates"]]
