"""A visit's chart as a PNG, drawn by the same face-map scene as the editor (offscreen)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QApplication

from app.services.catalogue import list_products
from app.services.patients import patient_record
from app.services.visits import get_visit
from app.storage.database import Database
from app.storage.files import write_atomically_bytes
from models.amounts import format_dose
from models.chart import ChartDocument
from models.errors import AliquotError
from models.face_map import DRAWING_HEIGHT, DRAWING_WIDTH
from models.tables import Patient
from models.totals import balance_per_product
from models.vocabulary import View
from ui.face_scene import FaceScene
from ui.fonts import register_bundled_fonts

SCALE = 2  # pixels per drawing unit: 1600 x 2000 for the face, sharp when printed
HEADER = 150


_offscreen_application = None  # kept alive while the command line draws


def render_visit(database: Database, visit_id: int, view: View) -> QImage:
    global _offscreen_application
    if QApplication.instance() is None:
        _offscreen_application = QApplication(["aliquot"])
        register_bundled_fonts()  # the patient's name in the header, whatever its script
    visit = get_visit(database, visit_id)
    with database.factory() as session:
        patient = patient_record(session.get(Patient, visit.patient_id))
    colours = {p.name: p.colour for p in list_products(database.factory, include_inactive=True)}
    scene = FaceScene(ChartDocument(visit.points), view, colours)
    scene.set_markers_scale_with_drawing(True)
    width, height = int(DRAWING_WIDTH * SCALE), int(DRAWING_HEIGHT * SCALE)
    image = QImage(width, height + HEADER * SCALE, QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(1)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
    when = visit.started_at.astimezone(database.timezone)
    title = QFont()
    title.setPixelSize(20 * SCALE)
    title.setBold(True)
    painter.setFont(title)
    painter.drawText(
        QRectF(16 * SCALE, 8 * SCALE, width, 30 * SCALE),
        Qt.AlignmentFlag.AlignLeft,
        f"{patient.given_name} {patient.family_name} — chart {patient.chart_number}",
    )
    body = QFont()
    body.setPixelSize(13 * SCALE)
    painter.setFont(body)
    painter.drawText(
        QRectF(16 * SCALE, 40 * SCALE, width, 22 * SCALE),
        Qt.AlignmentFlag.AlignLeft,
        f"Visit {when:%Y-%m-%d %H:%M} · {visit.provider_name} {visit.provider_credentials}"
        f" · {view.value} view · {visit.status.value}",
    )
    y = 66 * SCALE
    for total, balance in balance_per_product(visit.points):
        painter.setBrush(QColor(colours.get(total.product_name, "#555555")))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawEllipse(QRectF(18 * SCALE, y + 4 * SCALE, 10 * SCALE, 10 * SCALE))
        painter.setPen(QColor("#222222"))
        # Left against right per paired area only: the whole face's sides are not an asymmetry.
        drawn = painter.drawText(
            QRectF(34 * SCALE, y, width - 50 * SCALE, (HEADER - 8) * SCALE - y),
            Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap,
            f"{total.product_name}: {format_dose(total.amount, total.unit)} in {total.aliquots} aliquots"
            + (f" — {balance}" if balance else ""),
        )
        y += drawn.height() + 2 * SCALE
        if y > (HEADER - 16) * SCALE:
            break
    scene.render(painter, QRectF(0, HEADER * SCALE, width, height), scene.sceneRect())
    painter.end()
    return image


def export_visit_png(
    database: Database, visit_id: int, output: Path, view: View, replace: bool = False
) -> Path:
    """Encoded in memory, then written by the one atomic writer: QImage.save would truncate
    an existing file first and leave it half-written when the disk is full."""
    image = render_visit(database, visit_id, view)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise AliquotError(f"cannot draw the chart image for {output}")
    return write_atomically_bytes(output, bytes(buffer.data()), replace=replace)
