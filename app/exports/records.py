"""Treatment records as PDF (reportlab): what an injector prints or sends after a visit.

Text stays text (DejaVu Sans is bundled, with Droid Sans Fallback for Chinese and Japanese
and NanumSquare for Korean, so every name prints and can be selected; Hebrew and Arabic are
put in drawing order and Arabic letters joined before reportlab sees them); the face maps
are vector drawings of our own SVGs with the numbered points on top.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import arabic_reshaper
from bidi import get_display
from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import DirectDraw, Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import registerFontFamily
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Image as PdfImage
from sqlalchemy import select
from svglib.svglib import svg2rlg

import resources
from app.exports.charts import whole_chart
from app.services.adverse_events import AdverseEventRecord, list_adverse_events
from app.services.audit import record_event
from app.services.guardrails import visit_warnings
from app.services.packages import Package, visit_packages
from app.services.patients import patient_record
from app.services.photos import PhotoRecord
from app.services.recall import describe_due, patient_due
from app.services.settings import ClinicProfile, load_clinic_profile, load_signing_settings
from app.services.signing import AmendmentNote, amendment_trail
from app.services.visits import get_visit, visit_record
from app.storage.config import app_version
from app.storage.database import Database
from models.amounts import format_dose
from models.errors import AliquotError, ValidationError
from models.face_map import svg_path
from models.marker_layout import Placement, place_markers
from models.records import DRAFT_MARK, ChartedPoint, PatientRecord, VisitRecord, status_words
from models.regions import REGIONS
from models.tables import AdverseEvent, Patient, Photo, Product, Visit
from models.totals import (
    describe_difference,
    describe_pair,
    packages_by_product,
    sided_rows,
    totals_by_paired_area,
    totals_by_product,
)
from models.vocabulary import PackageKind, PhotoScope, View, VisitStatus

if TYPE_CHECKING:
    from app.services.photos import PhotoRecord

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
FALLBACK = "DroidSansFallback"  # Chinese and Japanese: what DejaVu Sans has no glyph for
HANGUL = "NanumSquare"  # Korean: the Hangul neither DejaVu Sans nor the fallback font has
FALLBACKS = (FALLBACK, HANGUL)  # tried in this order for a character DejaVu Sans lacks
LONG_SITE_NOTE = 120  # characters: a longer site note is printed below the sites table
NO_CLINIC_NAME = "Clinic name not set (File > Clinic details, or: aliquot clinic --name)"


def logo_from_file(path: str | Path) -> str:
    """A clinic logo from an image file, checked and shrunk, as stored in the profile."""
    import base64

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.thumbnail((600, 300))
            out = io.BytesIO()
            image.convert("RGBA").save(out, "PNG")
    except (OSError, UnidentifiedImageError):
        raise ValidationError(f"{path} is not an image file Aliquot can read (PNG or JPEG)", "logo") from None
    return base64.b64encode(out.getvalue()).decode("ascii")


NOT_DRAWABLE = "\ufffd"  # drawn in place of a character no bundled font has (an emoji)


@cache
def _register_fonts() -> dict[str | None, frozenset[int]]:
    """Register the bundled fonts; return the characters each draws: DejaVu Sans's (under
    None, the paragraph's own font), then for each fallback font those no font before it has."""
    pdfmetrics.registerFont(TTFont(FONT, str(resources.path("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(BOLD, str(resources.path("fonts/DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFont(TTFont(FALLBACK, str(resources.path("fonts/DroidSansFallbackFull.ttf"))))
    pdfmetrics.registerFont(TTFont(HANGUL, str(resources.path("fonts/NanumSquareR.ttf"))))
    registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    # Beyond the Basic Multilingual Plane (emoji) reportlab writes no usable glyph even
    # where a font has one: those count as not drawable.
    drawn = frozenset(c for c in pdfmetrics.getFont(FONT).face.charToGlyph if c <= 0xFFFF)
    coverage: dict[str | None, frozenset[int]] = {None: drawn}
    for name in FALLBACKS:
        own = frozenset(c for c in pdfmetrics.getFont(name).face.charToGlyph if c <= 0xFFFF)
        coverage[name] = own - drawn
        drawn |= own
    return coverage


# Hebrew, Arabic (with their presentation forms) and the other right-to-left scripts.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefe]")


def visual_order(text: str) -> str:
    """Text in the order it is drawn, left to right: Arabic letters in their joined forms and
    each right-to-left run (שרה לוי) reversed, the rest of the line in its own order. The
    record reads left to right, so a line that mixes scripts keeps its Latin order."""
    if not _RIGHT_TO_LEFT.search(text):
        return text
    return str(get_display(arabic_reshaper.reshape(text), base_dir="L"))


def text_runs(text: str) -> list[tuple[str, str | None]]:
    """The text in drawing order (`visual_order`) cut into runs, each with the fallback font
    that draws it (None: DejaVu Sans, the paragraph's own font). A character no font has is
    drawn as a visible replacement mark, never left out silently."""
    coverage = _register_fonts()
    runs: list[tuple[str, str | None]] = []
    for char in visual_order(text):
        font = next((name for name, chars in coverage.items() if ord(char) in chars), None)
        if font is None and not char.isspace() and ord(char) not in coverage[None]:
            char = NOT_DRAWABLE
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + char, font)
        else:
            runs.append((char, font))
    return runs


def rich(text: str) -> str:
    """Text for a Paragraph: escaped, and 李小龙 or 김민준 in a fallback font instead of boxes."""
    return "".join(
        f"<font name='{font}'>{escape(run)}</font>" if font else escape(run) for run, font in text_runs(text)
    )


def draw_text(
    canvas: Any, x: float, y: float, text: str, font: str, size: float, right: bool = False
) -> None:
    """Canvas text with the same fallback fonts (page footers)."""
    runs = text_runs(text)
    widths = [pdfmetrics.stringWidth(run, fallback or font, size) for run, fallback in runs]
    x = x - sum(widths) if right else x
    for (run, fallback), width in zip(runs, widths, strict=True):
        canvas.setFont(fallback or font, size)
        canvas.drawString(x, y, run)
        x += width


def text_width(text: str, font: str, size: float) -> float:
    """How wide `text` is drawn by `draw_text`, fallback font included."""
    return float(
        sum(pdfmetrics.stringWidth(run, fallback or font, size) for run, fallback in text_runs(text))
    )


def fitted(text: str, font: str, size: float, width: float) -> str:
    """`text` shortened with an ellipsis until it fits `width` (a footer beside "page 1 of 2")."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def footer_text(patient: PatientRecord, what: str) -> tuple[str, str]:
    """Every page says whose record it is: (the name, then date of birth, chart number and
    what the record is). Only the name is ever shortened to fit."""
    born = patient.date_of_birth.isoformat() if patient.date_of_birth else "not recorded"
    return (
        f"{patient.family_name}, {patient.given_name}",
        f" · born {born} · chart {patient.chart_number} · {what}",
    )


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19, spaceAfter=4),
        "heading": ParagraphStyle(
            "heading", parent=base, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=3
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
    }


def _face_svg_without_layers(view: View) -> bytes:
    """The drawing only: the region outlines and the muscle layer are screen aids."""
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    root = ET.parse(svg_path(view)).getroot()
    for group in list(root):
        if group.get("id") in ("regions", "muscles"):
            root.remove(group)
    return ET.tostring(root)


class _FaceForm(DirectDraw):  # type: ignore[misc]  # reportlab has no types
    """A view's drawing, written once into the PDF as a form and shown by each map that
    uses it: a 50-visit history draws the face once, not fifty times."""

    def __init__(self, view: View):
        super().__init__()
        self.view = view

    def drawDirectly(self, renderer: Any) -> None:
        canvas = renderer._canvas
        name = f"aliquot-face-{self.view.value}"
        if not canvas.hasForm(name):
            art = _face_art(self.view)
            drawing = getattr(canvas, "_drawing", None)
            # No clipping (as when drawn in place): the form's box is wide around the drawing.
            canvas.beginForm(name, -art.width, -art.height, 2 * art.width, 2 * art.height)
            renderPDF.draw(art, canvas, 0, 0)
            canvas.endForm()
            canvas.__dict__["_drawing"] = drawing
        canvas.doForm(name)


MARKER_RADIUS = 14  # drawing units (the face drawings are 800 wide)


class _Markers(DirectDraw):  # type: ignore[misc]
    """The numbered points: a disc of the product's colour, white-edged, with its number in
    white. A marker drawn aside from its site (models.marker_layout) has a leader line to a
    dot on the site. Each colour's disc is written once into the PDF as a form; a long
    history shows hundreds of them."""

    def __init__(self, markers: list[tuple[Placement, str, int]]):
        super().__init__()
        self.markers = markers

    def drawDirectly(self, renderer: Any) -> None:
        canvas = renderer._canvas
        canvas.saveState()
        canvas.setLineWidth(1.5)
        for placement, colour, _number in self.markers:  # the leaders under every disc
            if placement.moved:
                (x, y), (cx, cy) = placement.site, placement.centre
                canvas.setStrokeColor(colors.HexColor("#444444"))
                canvas.line(x, y, cx, cy)
                canvas.setFillColor(colors.HexColor(colour))
                canvas.circle(x, y, 3.5, stroke=1, fill=1)
        for placement, colour, number in self.markers:
            x, y = placement.centre
            name = f"aliquot-marker-{colour.lstrip('#')}"
            if not canvas.hasForm(name):
                canvas.beginForm(name, -16, -16, 16, 16)
                canvas.setFillColor(colors.HexColor(colour))
                canvas.setStrokeColor(colors.white)
                canvas.setLineWidth(1.5)
                canvas.circle(0, 0, MARKER_RADIUS, stroke=1, fill=1)
                canvas.endForm()
            canvas.saveState()
            canvas.translate(x, y)
            canvas.doForm(name)
            canvas.restoreState()
            canvas.setFont(BOLD, 14)
            canvas.setFillColor(colors.white)
            canvas.drawCentredString(x, y - 5, str(number))
        canvas.restoreState()


@cache
def _face_art(view: View) -> Drawing:
    """A view's drawing, read once: every map of a record (fifty in a long history) shares it."""
    art = svg2rlg(io.BytesIO(_face_svg_without_layers(view)))
    if art is None:  # pragma: no cover - the bundled drawings are valid SVG
        raise ValueError(f"the {view.value} face drawing cannot be read")
    art.initialFontName = FONT  # not reportlab's Helvetica, which is never embedded
    return art


def face_drawing(
    view: View, numbered: list[tuple[int, ChartedPoint]], colours: dict[str, str], width: float
) -> Drawing:
    """A view's face map as vector graphics with its points numbered as in the table."""
    art = _face_art(view)
    full_width, full_height = art.width, art.height
    # Close points (lips, glabella) are drawn aside with a leader: no disc hides another.
    placements = place_markers(
        [(point.x * full_width, (1 - point.y) * full_height) for _number, point in numbered],
        MARKER_RADIUS + 1,  # the disc and its white edge
        (0, 0, full_width, full_height),
    )
    markers = [
        (placement, colours.get(point.product_name, "#555555"), number)
        for placement, (number, point) in zip(placements, numbered, strict=True)
    ]
    drawing = Drawing(full_width, full_height, _FaceForm(view), _Markers(markers))
    drawing.initialFontName = FONT
    scale = width / full_width
    drawing.scale(scale, scale)
    drawing.width, drawing.height = full_width * scale, full_height * scale
    drawing.add(
        String(
            full_width / 2,
            6,
            {View.FRONT: "Front", View.LEFT: "Left profile", View.RIGHT: "Right profile"}[view],
            fontName=FONT,
            fontSize=16,
            fillColor=colors.HexColor("#666666"),
            textAnchor="middle",
        )
    )
    return drawing


class _RoomFor(CondPageBreak):  # type: ignore[misc]
    """A page break unless the flowables given, spaces included, fit in what is left of the
    page (a heading and the first rows of its table)."""

    def __init__(self, *flowables: Any):
        super().__init__(0)
        self.flowables = flowables

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        self.height = sum(
            f.wrap(availWidth, availHeight)[1] + f.getSpaceBefore() + f.getSpaceAfter()
            for f in self.flowables
        )
        return tuple(super().wrap(availWidth, availHeight))


class _NumberedCanvas(pdf_canvas.Canvas):  # type: ignore[misc]
    """Draws "page X of Y" (and the draft mark) once the number of pages is known."""

    draft = False
    footer = ("", "")  # the patient's name, and what follows it (footer_text)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._decorate(total)
            super().showPage()
        super().save()

    def _decorate(self, total: int) -> None:
        width, height = A4
        self.setFillColor(colors.HexColor("#555555"))
        name, details = self.footer
        room = width - 2 * 18 * mm - 30 * mm - text_width(details, FONT, 7.5)  # beside "page N of M"
        draw_text(self, 18 * mm, 10 * mm, fitted(name, FONT, 7.5, room) + details, FONT, 7.5)
        self.setFont(FONT, 7.5)
        self.drawRightString(width - 18 * mm, 10 * mm, f"page {self._pageNumber} of {total}")
        if self.draft:
            self.setFont(BOLD, 10)
            self.setFillColor(colors.HexColor("#b00020"))
            self.drawRightString(width - 18 * mm, height - 12 * mm, DRAFT_MARK)


def _totals_style(first_amount_column: int) -> TableStyle:
    """The record's totals tables: a grey header row, amounts aligned right."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 8.5),
            ("FONT", (0, 0), (-1, 0), BOLD, 8.5),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("ALIGN", (first_amount_column, 1), (-1, -1), "RIGHT"),
        ]
    )


def visit_record_pdf(db: Database, visit_id: int, purpose: PhotoScope = PhotoScope.CLINICAL) -> bytes:
    """The record of one visit, ready to print or send. `purpose` is what the export is
    for: a record made for teaching or marketing says so on every page and carries only
    the photos the patient consented to for that use."""
    _register_fonts()
    styles = _styles()
    visit = get_visit(db, visit_id)
    profile = load_clinic_profile(db)
    with db.audited_read() as session:
        patient = patient_record(session.get_one(Patient, visit.patient_id))
        colours = dict(session.execute(select(Product.name, Product.colour)).all())
        default_sizes = dict(session.execute(select(Product.name, Product.package_size)).all())
        record_event(session, db.actor, "print", "visit", visit_id, purpose=purpose.value)  # a disclosure
    if visit.signature is not None:  # as worked out on the visit's own date when it was signed
        due = "; ".join(visit.signature.next_due)
    else:
        due = describe_due(patient_due(db, patient.id, datetime.now(db.timezone).date()))
    trail = amendment_trail(db, visit.id)
    require_cosign = load_signing_settings(db).require_cosign
    when = visit.started_at.astimezone(db.timezone)
    numbered = list(enumerate(visit.points, start=1))

    story = _logo(profile)
    header = rich(profile.name or NO_CLINIC_NAME)
    contact = " · ".join(rich(part) for part in (profile.address, profile.phone) if part)
    story.append(Paragraph(f"<font name='{BOLD}'>{header}</font><br/>{contact}", styles["small"]))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph("Treatment record", styles["title"]))
    born = patient.date_of_birth.isoformat() if patient.date_of_birth else "not recorded"
    allergies = rich(patient.allergies.strip()) or "none recorded"
    alerts = rich(patient.alerts.strip()) or "none recorded"
    blocks = Table(
        [
            [
                Paragraph(
                    f"<b>Patient</b><br/>{rich(f'{patient.given_name} {patient.family_name}')}<br/>"
                    f"Born {born} · chart {rich(patient.chart_number)}<br/>"
                    f"<font color='#b00020'>Allergies: {allergies}<br/>Alerts: {alerts}</font>",
                    styles["body"],
                ),
                Paragraph(
                    f"<b>Visit</b><br/>{when:%Y-%m-%d %H:%M} ({rich(db.timezone.key)})<br/>"
                    f"Injector: {rich(visit.provider_name)} {rich(visit.provider_credentials)}<br/>"
                    f"Consent recorded: {'yes' if visit.consent_recorded else 'NO'} · "
                    f"Status: {status_words(visit.status)}",
                    styles["body"],
                ),
            ]
        ],
        colWidths=[87 * mm, 87 * mm],
    )
    blocks.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),  # a cell starts in its style's font, else Helvetica
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#bbbbbb")),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [blocks, Spacer(1, 3 * mm)]
    if visit.concern:
        story.append(Paragraph(f"<b>Concern:</b> {rich(visit.concern)}", styles["body"]))

    views = [
        view
        for view in (View.FRONT, View.LEFT, View.RIGHT)
        if view is View.FRONT or any(p.view is view for p in visit.points)
    ]
    width = 174 * mm / len(views) - 2 * mm
    maps = [
        face_drawing(view, [(n, p) for n, p in numbered if p.view is view], colours, min(width, 80 * mm))
        for view in views
    ]
    story.append(Table([maps], hAlign="CENTER", style=[("FONT", (0, 0), (-1, -1), FONT, 9)]))

    heading = Paragraph("Injection sites", styles["heading"])
    rows = [["#", "Region", "Product", "Lot (expiry)", "Amount", "Aliq.", "Depth", "Technique", "Notes"]]
    for number, p in numbered:
        lot = (
            f"{p.lot_number} ({p.lot_expiry.isoformat() if p.lot_expiry else 'no expiry'})"
            if p.lot_number
            else "NOT RECORDED"
        )
        rows.append(
            [
                str(number),
                Paragraph(rich(REGIONS[p.region_code].label), styles["cell"]),
                Paragraph(rich(p.product_name), styles["cell"]),
                Paragraph(rich(lot), styles["cell"]),
                format_dose(p.amount, p.unit),
                str(p.aliquots),
                Paragraph(p.depth.value if p.depth else "—", styles["cell"]),
                Paragraph(
                    " ".join(filter(None, [p.technique.value if p.technique else "", p.gauge])) or "—",
                    styles["cell"],
                ),
                Paragraph(
                    f"see site note {number}" if len(p.notes) > LONG_SITE_NOTE else rich(p.notes),
                    styles["cell"],
                ),
            ]
        )
    # Depth is as wide as "supraperiosteal" and its padding: a depth is never broken mid-word.
    columns = [7 * mm, 30 * mm, 25 * mm, 25 * mm, 15 * mm, 9 * mm, 27 * mm, 19 * mm, 17 * mm]
    sites = Table(
        rows,
        repeatRows=1,
        colWidths=columns,
        splitInRow=1,  # a site note longer than a page flows on to the next, never stops the record
    )
    sites_style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), FONT, 8),
            ("FONT", (0, 0), (-1, 0), BOLD, 8),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (4, 1), (5, -1), "RIGHT"),
        ]
    )
    sites.setStyle(sites_style)
    if numbered:
        # The heading never stands alone at a page foot: it starts a page unless the table's
        # header and first row fit below it.
        opening = Table(rows[:2], colWidths=columns, style=sites_style)
        story += [_RoomFor(heading, opening), heading, sites]
        long_notes = [(n, p.notes) for n, p in numbered if len(p.notes) > LONG_SITE_NOTE]
        if long_notes:  # a long note reads across the page, not down a narrow column
            story.append(Paragraph("Site notes", styles["heading"]))
            story += [Paragraph(f"<b>{n}.</b> {rich(note)}", styles["body"]) for n, note in long_notes]
    else:  # a review at which nothing was injected: said, not shown as empty tables
        story += [heading, Paragraph("No injections were recorded at this visit.", styles["body"])]

    totals = [["Product", "Total", "Aliquots", "Sites", "Uses"]]
    uses = packages_by_product(visit.points, default_sizes)  # per lot's own vial size
    for total in totals_by_product(visit.points):
        totals.append(
            [
                Paragraph(rich(total.product_name), styles["cell"]),
                format_dose(total.amount, total.unit),
                str(total.aliquots),
                str(total.sites),
                Paragraph(rich(uses[total.product_name]), styles["cell"]),
            ]
        )
    totals_table = Table(totals, colWidths=[60 * mm, 22 * mm, 18 * mm, 14 * mm, 60 * mm], hAlign="LEFT")
    totals_table.setStyle(_totals_style(1))
    # Left against right within each paired area: the whole face's left against its right is
    # no asymmetry (25 U in one masseter and 1 U in the other side's LLSAN are not "24 U more left").
    balance = [["Area", "Product", "Left", "Right", "Midline", "Left − right"]]
    for pair in sided_rows(totals_by_paired_area(visit.points)):
        balance.append(
            [
                Paragraph(rich(pair.name), styles["cell"]),
                Paragraph(rich(pair.product_name), styles["cell"]),
                format_dose(pair.left, pair.unit),
                format_dose(pair.right, pair.unit),
                format_dose(pair.midline, pair.unit),
                Paragraph(rich(describe_difference(pair)), styles["cell"]),
            ]
        )
    balance_table = Table(
        balance, colWidths=[40 * mm, 42 * mm, 18 * mm, 18 * mm, 18 * mm, 34 * mm], hAlign="LEFT"
    )
    balance_table.setStyle(_totals_style(2))
    if numbered:
        story += [KeepTogether([Paragraph("Totals per product", styles["heading"]), totals_table])]
    if len(balance) > 1:
        story += [
            KeepTogether(
                [
                    Paragraph("Left against right, per area (the patient's sides)", styles["heading"]),
                    balance_table,
                    Spacer(1, 2 * mm),
                ]
            )
        ]
    for package, drawn in visit_packages(db, visit.id):
        story.append(Paragraph(_package_line(package, drawn, db.timezone), styles["body"]))
    story += _photo_section(db, visit.id, purpose, styles)
    story += _events_section(db, list_adverse_events(db, visit_id=visit.id), purpose, styles)
    if visit.notes:
        story.append(Paragraph(f"<b>Notes:</b> {rich(visit.notes)}", styles["body"]))
    story += _safety_section(db, visit, styles)
    if due:
        story.append(Paragraph(f"<b>Next due:</b> {rich(due)}", styles["body"]))
    story.append(
        KeepTogether(
            [
                Paragraph("Aftercare", styles["heading"]),
                Paragraph(rich(profile.aftercare), styles["body"]),
                Spacer(1, 6 * mm),
                *_signature_block(visit, db.timezone, require_cosign, styles),
            ]
        )
    )
    story += _amendment_section(visit, trail, db.timezone, styles)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(printed_on(db), styles["small"]))

    out = io.BytesIO()
    canvas_class = type(
        "RecordCanvas",
        (_NumberedCanvas,),
        {
            "draft": visit.status is not VisitStatus.SIGNED,
            "footer": footer_text(
                patient,
                f"visit {when:%Y-%m-%d}"
                + ("" if purpose is PhotoScope.CLINICAL else f" · for {purpose.value}"),
            ),
        },
    )
    _document(
        out,
        f"Treatment record {patient.chart_number} {when:%Y-%m-%d}",
        profile.name or "Aliquot",
        f"Treatment record, chart {patient.chart_number}, visit of {when:%Y-%m-%d}",
    ).build(story, canvasmaker=canvas_class)
    return out.getvalue()


PHOTO_PRINT_SIDE = 700  # pixels: a record's photo, small enough for a light PDF
PHOTO_WIDTH = 40 * mm
PHOTOS_PER_ROW = 4


def _package_line(package: Package, drawn: Decimal, zone: ZoneInfo) -> str:
    """ "Reconstitution (vial 12): Botox Cosmetic lot C1234: 100 U in 2.5 mL … = 4 U per
    0.1 mL; mixed 2026-12-03 09:10 by dana, use by 2026-12-04 09:10; 24 U drawn at this
    visit" (what the visit drew is its own locked points, so a signed record never changes)."""
    opened = package.opened_at.astimezone(zone)
    if package.kind is PackageKind.VIAL:
        heading, verb = f"Reconstitution ({package.name})", "mixed"
    else:
        heading, verb = f"Syringe {package.id}", "opened"
    use_by = f", use by {package.discard_by.astimezone(zone):%Y-%m-%d %H:%M}" if package.discard_by else ""
    return (
        f"<b>{heading}:</b> {rich(package.describe())}; {verb} {opened:%Y-%m-%d %H:%M} by"
        f" {rich(package.opened_by)}{use_by}; {format_dose(drawn, package.unit)} drawn at this visit"
    )


def _photo_section(
    db: Database, visit_id: int, purpose: PhotoScope, styles: dict[str, ParagraphStyle]
) -> list[Any]:
    """The visit's photos, small, four to a row, each with its pose and capture time; only
    those whose consent covers what this record is for."""
    from app.services.photos import visit_photos

    grid = _photo_grid(db, visit_photos(db, visit_id), purpose, styles)
    return [CondPageBreak(60 * mm), Paragraph("Photos", styles["heading"]), grid] if grid else []


def _photo_grid(
    db: Database, photos: list[PhotoRecord], purpose: PhotoScope, styles: dict[str, ParagraphStyle]
) -> Table | None:
    """Photos four to a row with their pose and day; those whose consent covers `purpose`."""
    from PIL import Image as PillowImage

    from app.services.photos import photo_image

    shown = [p for p in photos if p.scope.allows(purpose)]
    if not shown:
        return None
    cells = []
    for photo in shown:
        _record, data = photo_image(db, photo.id, "print")
        stored = PillowImage.open(io.BytesIO(data))
        stored.draft("RGB", (PHOTO_PRINT_SIDE, PHOTO_PRINT_SIDE))  # a JPEG decoded at the scale printed
        picture = stored.convert("RGB")
        picture.thumbnail((PHOTO_PRINT_SIDE, PHOTO_PRINT_SIDE))
        small = io.BytesIO()
        picture.save(small, "JPEG", quality=82)
        small.seek(0)
        height = PHOTO_WIDTH * picture.height / picture.width
        taken = f" · {photo.taken_at.astimezone(db.timezone):%Y-%m-%d}" if photo.taken_at else ""
        cells.append(
            [
                PdfImage(small, width=PHOTO_WIDTH, height=min(height, 54 * mm), kind="proportional"),
                Paragraph(f"{rich(photo.pose)}{taken}", styles["small"]),
            ]
        )
    rows = [cells[i : i + PHOTOS_PER_ROW] for i in range(0, len(cells), PHOTOS_PER_ROW)]
    rows[-1] += [[]] * (PHOTOS_PER_ROW - len(rows[-1]))  # empty cells
    grid = Table(rows, colWidths=[PHOTO_WIDTH + 3 * mm] * PHOTOS_PER_ROW, hAlign="LEFT")
    grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return grid


def event_lines(event: AdverseEventRecord, zone: ZoneInfo) -> list[str]:
    """An adverse event as the records print it: what and when, then its timed log in order."""
    onset = event.onset_at.astimezone(zone)
    where = f" · {', '.join(REGIONS[c].label for c in event.regions)}" if event.regions else ""
    lines = [
        f"<b>{rich(event.kind.value)}</b> ({rich(event.severity.value)}), onset {onset:%Y-%m-%d %H:%M}{rich(where)}"
    ]
    for label, text in (
        ("", event.description),
        ("Done: ", event.actions),
        ("Referred: ", event.referral),
        ("Outcome: ", event.outcome),
    ):
        if text:
            lines.append(f"{label}{rich(text)}")
    for line in event.log:
        since = line.at - event.onset_at
        minutes = int(since.total_seconds() // 60)
        lines.append(
            f"{line.at.astimezone(zone):%H:%M} (+{minutes // 60}h{minutes % 60:02d}) {line.kind.value}: {rich(line.words)}"
        )
    if event.follow_up:
        lines.append(f"Follow-up {event.follow_up.isoformat()}")
    return lines


def _events_section(
    db: Database, events: list[AdverseEventRecord], purpose: PhotoScope, styles: dict[str, ParagraphStyle]
) -> list[Any]:
    """The adverse events that followed this visit, each with its timed log and photos."""
    from app.services.photos import event_photos

    if not events:
        return []
    story: list[Any] = [Paragraph("Adverse events", styles["heading"])]
    for event in reversed(events):  # oldest first on the record
        story += [Paragraph(line, styles["body"]) for line in event_lines(event, db.timezone)]
        grid = _photo_grid(db, event_photos(db, event.id), purpose, styles)
        if grid is not None:
            story.append(grid)
    return story


def _history_events(
    db: Database, events_after: dict[int | None, list[AdverseEventRecord]], styles: dict[str, ParagraphStyle]
) -> list[Any]:
    """In the history: the adverse events that followed no visit, whole (they have no visit
    row), and every event's photos (the clinical record: every photo, whatever its scope)."""
    from app.services.photos import event_photos

    story: list[Any] = []
    for event in sorted((e for events in events_after.values() for e in events), key=lambda e: e.onset_at):
        followed_a_visit = event.visit_id is not None
        grid = _photo_grid(db, event_photos(db, event.id), PhotoScope.CLINICAL, styles)
        if followed_a_visit and grid is None:
            continue  # printed in its visit's row already
        if not story:
            story.append(_Wrapped("Adverse events: photos, and those after no visit", styles["heading"]))
        lines = event_lines(event, db.timezone)
        shown = lines[:1] if followed_a_visit else lines
        story.append(
            KeepTogether(
                [_Wrapped("<br/>".join(shown), styles["body"])] + ([grid] if grid is not None else [])
            )
        )
    return story


COMPARE_WIDTH = 84 * mm


def _pose_comparisons(db: Database, chart_number: str, styles: dict[str, ParagraphStyle]) -> list[Any]:
    """A page per pose photographed at two visits or more: the first and the latest photo
    side by side, the latest aligned on the eyes of the first when both have landmarks, and
    each one's measures in mm. The clinical record: every photo, whatever its scope."""
    from app.services.asymmetry import lines_of, patient_asymmetry

    measured = patient_asymmetry(db, chart_number)
    by_pose: dict[str, list[Any]] = {}
    for entry in measured:
        by_pose.setdefault(entry.pose, []).append(entry)
    story: list[Any] = []
    for pose, entries in by_pose.items():
        first, latest = entries[0], entries[-1]
        if first.visit_id == latest.visit_id:
            continue
        images = _compared_images(db, first.photo_id, latest.photo_id)
        cells = [
            [
                PdfImage(image, width=COMPARE_WIDTH, height=COMPARE_WIDTH * 4 / 3, kind="proportional"),
                Paragraph(
                    f"<b>{label}: {entry.visit_day.isoformat()}</b><br/>"
                    + "<br/>".join(rich(line) for line in lines_of(entry)),
                    styles["small"],
                ),
            ]
            for label, entry, image in (("First", first, images[0]), ("Latest", latest, images[1]))
        ]
        grid = Table([cells], colWidths=[COMPARE_WIDTH + 3 * mm] * 2, hAlign="LEFT")
        grid.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
        story += [PageBreak(), Paragraph(f"Photos: {rich(pose)}, first and latest", styles["heading"]), grid]
    return story


def _compared_images(db: Database, first_id: int, latest_id: int) -> tuple[io.BytesIO, io.BytesIO]:
    """The two photos as printed (about 900 px); the latest turned, scaled and moved so that
    its pupils fall on the first photo's, when both have them placed."""
    from PIL import Image as PillowImage

    from app.services.photos import load_landmarks, photo_image
    from models.asymmetry import align_on_eyes, invert
    from models.landmarks import Landmarks

    pictures = []
    for photo_id in (first_id, latest_id):
        _record, data = photo_image(db, photo_id, "print")
        pictures.append(PillowImage.open(io.BytesIO(data)).convert("RGB"))
    first_marks, latest_marks = load_landmarks(db, first_id), load_landmarks(db, latest_id)
    if first_marks is not None and latest_marks is not None:
        try:
            fixed = Landmarks.of(first_marks.points, *pictures[0].size)
            moving = Landmarks.of(latest_marks.points, *pictures[1].size)
            a, b, c, d, e, f = (value for row in invert(align_on_eyes(moving, fixed)) for value in row)
            pictures[1] = pictures[1].transform(
                pictures[0].size,
                PillowImage.Transform.AFFINE,
                (a, b, c, d, e, f),
                PillowImage.Resampling.BILINEAR,
            )
        except AliquotError:
            pass  # pupils missing: side by side as taken
    outputs = []
    for picture in pictures:
        picture.thumbnail((900, 1200))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=85)
        out.seek(0)
        outputs.append(out)
    return outputs[0], outputs[1]


def printed_on(db: Database) -> str:
    """The one line by which two prints of a record differ: when, and by whom."""
    by = db.user.shown if db.user is not None else db.actor
    return f"Printed on {datetime.now(db.timezone):%Y-%m-%d %H:%M} ({rich(db.timezone.key)}) by {rich(by)}"


def _signature_block(
    visit: VisitRecord, zone: ZoneInfo, require_cosign: bool, styles: dict[str, ParagraphStyle]
) -> list[Any]:
    """The signature as stored (signer, licence, role, time and content hash), the
    co-signature, or for a draft the blank line to sign by hand."""
    signature = visit.signature
    if signature is None:
        return [
            Spacer(1, 6 * mm),
            Paragraph(
                "Signature ______________________________ "
                f"&nbsp;&nbsp; {rich(visit.provider_name)} "
                f"{rich(visit.provider_credentials)} &nbsp;&nbsp; Date __________",
                styles["body"],
            ),
        ]
    signer = signature.signer
    at = (
        f"on {signature.signed_at.astimezone(zone):%Y-%m-%d %H:%M} ({rich(zone.key)})"
        if signature.signed_at
        else "at a time the imported file did not record"
    )
    if signer.role:
        signed = f"<b>Signed electronically</b> by {rich(signer.shown)} ({rich(signer.role)}) {at}"
    else:
        signed = (
            f"<b>Signed</b> by {rich(signer.shown)} {at}"
            " (not signed in Aliquot: imported, or signed before electronic signatures)"
        )
    lines = [signed, f"Content SHA-256 {signature.content_hash}"]
    if signature.cosigner is not None and signature.cosigned_at is not None:
        lines.append(
            f"<b>Co-signed</b> by {rich(signature.cosigner.shown)} ({rich(signature.cosigner.role)})"
            f" on {signature.cosigned_at.astimezone(zone):%Y-%m-%d %H:%M} ({rich(zone.key)})"
        )
    elif require_cosign and signer.role == "injector":
        lines.append("<b>Co-signature:</b> awaiting a prescriber's co-signature")
    return [Paragraph(line, styles["body"]) for line in lines]


def _amendment_section(
    visit: VisitRecord, trail: list[AmendmentNote], zone: ZoneInfo, styles: dict[str, ParagraphStyle]
) -> list[Any]:
    """The amendment trail of the chain this visit belongs to: every correction, in order."""
    if not trail:
        return []
    lines = []
    for link in trail:
        when = f"{link.signed_at.astimezone(zone):%Y-%m-%d %H:%M}" if link.signed_at else "(draft)"
        here = " (this record)" if visit.id in (link.amendment_id,) else ""
        lines.append(
            f"Visit {link.original_id} amended by visit {link.amendment_id}{here} on {when}"
            f" by {rich(link.by)}. <b>Reason:</b> {rich(link.reason)}."
            f" <b>Changed:</b> {rich('; '.join(link.changes))}."
        )
    if trail[-1].amendment_id != visit.id and visit.id in {link.original_id for link in trail}:
        lines.append(
            f"<font color='#b00020'>This record was corrected: visit {trail[-1].amendment_id} is the current one.</font>"
        )
    return [
        KeepTogether(
            [Paragraph("Amendments", styles["heading"]), *[Paragraph(line, styles["body"]) for line in lines]]
        )
    ]


def _safety_section(db: Database, visit: VisitRecord, styles: dict[str, ParagraphStyle]) -> list[Any]:
    """The visit's safety warnings (as shown when it was signed; for a draft, as the rules
    stand now) and the reason the injector gave."""
    if visit.signature is not None:
        warnings: list[Any] = list(visit.signature.warnings)
    else:
        warnings = list(visit_warnings(db, visit.id))
    if not warnings and not visit.warning_reason:
        return []
    lines = [f"<font color='#b00020'>• {rich(str(w))}</font>" for w in warnings]
    reason = rich(visit.warning_reason) or "none recorded"
    lines.append(f"<b>Reason given:</b> {reason}")
    return [
        KeepTogether(
            [
                Paragraph("Safety warnings", styles["heading"]),
                *[Paragraph(line, styles["body"]) for line in lines],
            ]
        )
    ]


def _logo(profile: ClinicProfile) -> list[Any]:
    if not profile.logo_png:
        return []
    import base64

    from reportlab.platypus import Image as PdfImage

    data = io.BytesIO(base64.b64decode(profile.logo_png))
    logo = PdfImage(data)
    ratio = 14 * mm / logo.imageHeight
    logo.drawHeight, logo.drawWidth = 14 * mm, logo.imageWidth * ratio
    logo.hAlign = "LEFT"
    return [logo, Spacer(1, 2 * mm)]


def _document(out: io.BytesIO, title: str, author: str, subject: str) -> SimpleDocTemplate:
    """A4 pages whose metadata say what the record is, who made it (the clinic) and with what."""
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=author,
        subject=subject,
        creator=f"Aliquot {app_version()}",
        # Each page starts in DejaVu Sans, not reportlab's Helvetica: every font is embedded.
        initialFontName=FONT,
    )


@dataclass(frozen=True)
class ChartExtras:
    """What else a chart holds that the history prints (asked once, in the chart's session)."""

    photos: bool
    events: bool


def _history_records(
    db: Database, chart_number: str
) -> tuple[PatientRecord, list[VisitRecord], dict[str, str], ChartExtras]:
    """The patient, every visit (oldest first) with its points, lots and injector, the
    product colours, and whether there are photos: one session, a handful of queries
    whatever the number of visits."""
    with db.audited_read() as session:
        found, rows = whole_chart(session, chart_number)
        colours: dict[str, str] = {
            name: colour for name, colour in session.execute(select(Product.name, Product.colour))
        }
        photos = select(Photo.id).join(Visit, Visit.id == Photo.visit_id).where(Visit.patient_id == found.id)
        events = select(AdverseEvent.id).where(AdverseEvent.patient_id == found.id)
        has = session.execute(select(photos.exists(), events.exists())).one()
        photographed = ChartExtras(photos=bool(has[0]), events=bool(has[1]))
        # Reading the chart and printing it are both disclosures: both go in the audit trail.
        record_event(session, db.actor, "view", "patient", found.id)
        record_event(session, db.actor, "print", "patient", found.id, report="history")
        return patient_record(found), [visit_record(v) for v in rows], colours, photographed


class _Wrapped(Paragraph):  # type: ignore[misc]
    """A paragraph that breaks its lines once per width: a long table is measured again at
    each page it spills onto, and its hundreds of cells need not be broken again each time."""

    _wrapped: tuple[float, float, float] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        if self._wrapped is not None and self._wrapped[0] == availWidth:
            self.width, self.height = self._wrapped[1], self._wrapped[2]
            return self.width, self.height
        width, height = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, width, height)
        return width, height


def number_ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 as "1–3, 5"."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def marker_legend(numbered: list[tuple[int, ChartedPoint]]) -> list[str]:
    """What each map marker was: its numbers, the product and the lot ("1–3 Botox Cosmetic,
    lot C1234"), one entry per product and lot in the order first injected."""
    groups: dict[tuple[str, str | None], list[int]] = {}
    for number, point in numbered:
        groups.setdefault((point.product_name, point.lot_number), []).append(number)
    return [
        f"{number_ranges(numbers)} {product}, {f'lot {lot}' if lot else 'lot not recorded'}"
        for (product, lot), numbers in groups.items()
    ]


def history_pdf(db: Database, chart_number: str) -> bytes:
    """A patient's whole history: doses per area at each visit, then every visit with a
    small map and its totals, oldest first."""
    from models.recall import area_of_region, areas

    _register_fonts()
    styles = _styles()
    profile = load_clinic_profile(db)
    patient, visits, colours, photographed = _history_records(db, chart_number)
    events_after: dict[int | None, list[AdverseEventRecord]] = {}
    if photographed.events:
        for event in list_adverse_events(db, patient_id=patient.id):
            events_after.setdefault(event.visit_id, []).append(event)
    zone = db.timezone
    story = _logo(profile) + [
        _Wrapped(f"<b>{rich(profile.name or NO_CLINIC_NAME)}</b>", styles["small"]),
        Spacer(1, 3 * mm),
        _Wrapped("Treatment history", styles["title"]),
        _Wrapped(
            f"{rich(f'{patient.given_name} {patient.family_name}')} · chart "
            f"{rich(patient.chart_number)} · born "
            f"{patient.date_of_birth.isoformat() if patient.date_of_birth else 'not recorded'}"
            f" · <font color='#b00020'>allergies: {rich(patient.allergies.strip()) or 'none recorded'}"
            f"{' · alerts: ' + rich(patient.alerts.strip()) if patient.alerts.strip() else ''}</font>"
            f" · {len(visits)} visits",
            styles["body"],
        ),
    ]

    # Dose per area over time: one row per visit, one column per area ever treated.
    region_area, area_names = area_of_region(), areas()
    treated = sorted(
        {region_area[p.region_code] for v in visits for p in v.points}, key=list(area_names).index
    )
    story.append(_Wrapped("Doses per area at each visit", styles["heading"]))
    for start in range(0, max(len(treated), 1), 5):
        columns = treated[start : start + 5]
        rows: list[list[Any]] = [
            ["Visit"] + [_Wrapped(f"<b>{rich(area_names[a].name)}</b>", styles["cell"]) for a in columns]
        ]
        for visit in visits:
            cells: list[Any] = []
            for area in columns:
                totals = totals_by_product([p for p in visit.points if region_area[p.region_code] == area])
                cells.append(
                    _Wrapped(
                        "<br/>".join(
                            f"{format_dose(t.amount, t.unit)} {rich(t.product_name)}" for t in totals
                        )
                        or "—",
                        styles["cell"],
                    )
                )
            rows.append([visit.started_at.astimezone(zone).strftime("%Y-%m-%d")] + cells)
        table = Table(rows, repeatRows=1, colWidths=[22 * mm] + [30 * mm] * len(columns), hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 8),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story += [table, Spacer(1, 3 * mm)]

    story.append(_Wrapped("Visits", styles["heading"]))
    for visit in visits:
        when = visit.started_at.astimezone(zone)
        numbered = list(enumerate(visit.points, start=1))
        lines = [
            f"<b>{when:%Y-%m-%d %H:%M}</b> · {rich(visit.provider_name)} {rich(visit.provider_credentials)}"
            f" · {status_words(visit.status)}"
        ]
        if visit.concern:
            lines.append(f"Concern: {rich(visit.concern)}")
        for total in totals_by_product(visit.points):
            lines.append(
                f"{rich(total.product_name)}: {format_dose(total.amount, total.unit)} in {total.aliquots}"
                f" aliquot{'s' if total.aliquots != 1 else ''}"
            )
        for pair in sided_rows(totals_by_paired_area(visit.points)):
            lines.append(f"{rich(pair.name)}, {rich(pair.product_name)}: {describe_pair(pair)}")
        if visit.points:
            lines.append("<b>Markers:</b> " + "; ".join(rich(entry) for entry in marker_legend(numbered)))
        else:
            lines.append("Nothing charted.")
        for event in reversed(events_after.get(visit.id, [])):
            lines += ["<font color='#b00020'>Adverse event:</font> " + event_lines(event, db.timezone)[0]]
            lines += event_lines(event, db.timezone)[1:]
        # The front always; a profile when the visit has points on it, the maps then narrower.
        views = [v for v in View if v is View.FRONT or any(p.view is v for _n, p in numbered)]
        map_width = {1: 38 * mm, 2: 32 * mm, 3: 29 * mm}[len(views)]
        maps = Table(
            [
                [
                    face_drawing(v, [(n, p) for n, p in numbered if p.view is v], colours, map_width)
                    for v in views
                ]
            ],
            colWidths=[map_width + 1 * mm] * len(views),
            style=[("FONT", (0, 0), (-1, -1), FONT, 9), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            + [("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0)],
        )
        maps_column = len(views) * (map_width + 1 * mm) + 4 * mm
        row = Table(
            [[maps, _Wrapped("<br/>".join(lines), styles["body"])]],
            colWidths=[maps_column, 174 * mm - maps_column],
        )
        row.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), FONT, 9),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#cccccc")),
                ]
            )
        )
        story.append(KeepTogether([row]))
    story += _history_events(db, events_after, styles)
    if photographed.photos:
        story += _pose_comparisons(db, chart_number, styles)

    out = io.BytesIO()
    canvas_class = type(
        "HistoryCanvas",
        (_NumberedCanvas,),
        {"footer": footer_text(patient, "history")},
    )
    _document(
        out,
        f"Treatment history {patient.chart_number}",
        profile.name or "Aliquot",
        f"Treatment history, chart {patient.chart_number}",
    ).build(story, canvasmaker=canvas_class)
    return out.getvalue()


def lot_recall_pdf(db: Database, lot_number: str, product_name: str | None = None) -> bytes:
    """A manufacturer's recall, printed: the lot, and every patient, visit, site and amount
    from it, with the phone to call (the search is audited by `lot_recall`)."""
    from app.services.lots import lot_recall

    _register_fonts()
    styles = _styles()
    profile = load_clinic_profile(db)
    uses = lot_recall(db, lot_number, product_name)
    patients = len({u.chart_number for u in uses})
    story: list[Any] = [
        Paragraph(f"<font name='{BOLD}'>{rich(profile.name or NO_CLINIC_NAME)}</font>", styles["small"]),
        Spacer(1, 4 * mm),
        Paragraph(f"Lot recall: {rich(lot_number)}", styles["title"]),
        Paragraph(
            f"{len(uses)} injection{'s' if len(uses) != 1 else ''} to {patients} patient{'s' if patients != 1 else ''}"
            + (f" · {rich(uses[0].product)}, expiry {uses[0].expiry or 'not recorded'}" if uses else ""),
            styles["body"],
        ),
        Spacer(1, 3 * mm),
    ]
    rows: list[list[Any]] = [["Chart", "Patient", "Phone", "Visit", "Day", "Site", "Amount"]]
    for use in uses:
        rows.append(
            [
                Paragraph(rich(use.chart_number), styles["cell"]),
                Paragraph(rich(use.patient_name), styles["cell"]),
                Paragraph(rich(use.phone or "—"), styles["cell"]),
                str(use.visit_id),
                use.visit_day.isoformat(),
                Paragraph(
                    rich(REGIONS[use.region_code].label if use.region_code in REGIONS else use.region_code),
                    styles["cell"],
                ),
                format_dose(use.amount, use.unit),
            ]
        )
    table = Table(
        rows,
        colWidths=[20 * mm, 42 * mm, 28 * mm, 14 * mm, 22 * mm, 32 * mm, 16 * mm],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(_totals_style(6))
    story += [table, Spacer(1, 4 * mm), Paragraph(printed_on(db), styles["small"])]
    out = io.BytesIO()
    canvas_class = type("RecallCanvas", (_NumberedCanvas,), {"footer": ("", f"Lot recall {lot_number}")})
    _document(
        out, f"Lot recall {lot_number}", profile.name or "Aliquot", f"Patients given lot {lot_number}"
    ).build(story, canvasmaker=canvas_class)
    return out.getvalue()
