"""Preview, save and print a PDF record. The PDF is made and its pages drawn off the GUI
thread; printing draws each page at the printer's own resolution."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pypdfium2
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.storage.files import write_atomically_bytes
from models.errors import AliquotError
from ui.tasks import TaskRunner

PREVIEW_SCALE = 1.25  # 90 dpi: comfortable on screen


@dataclass(frozen=True)
class RenderedRecord:
    pdf: bytes
    pages: list  # PIL images of each page at the preview scale


def render_pages(pdf: bytes, scale: float = PREVIEW_SCALE) -> list:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=scale).to_pil().convert("RGB") for i in range(len(document))]
    finally:
        document.close()


def to_qimage(image) -> QImage:
    data = image.tobytes("raw", "RGB")
    return QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888).copy()


def make_and_render(make_pdf: Callable[[], bytes]) -> RenderedRecord:
    pdf = make_pdf()
    return RenderedRecord(pdf, render_pages(pdf))


class RecordPreview(QMainWindow):
    def __init__(
        self,
        title: str,
        file_name: str,
        make_pdf: Callable[[], bytes],
        parent=None,
        tasks: TaskRunner | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle(f"{title} — Aliquot")
        self.file_name = file_name
        self.record: RenderedRecord | None = None
        if tasks is None:  # a preview made on its own: its failures are said in it
            tasks = TaskRunner(self)
            tasks.failed.connect(self._failed)
        self.tasks = tasks
        self._channel = f"record-{id(self)}"  # two previews open at once each get their record
        toolbar = QToolBar()
        self.save_action = toolbar.addAction("Save as PDF…", self.save_as)
        self.print_action = toolbar.addAction("Print…", self.print_record)
        self.print_action.setShortcut("Ctrl+P")
        self.save_action.setShortcut("Ctrl+S")
        for action in (self.save_action, self.print_action):
            action.setEnabled(False)
        self.addToolBar(toolbar)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # an indeterminate "working" bar while the PDF is made
        self.status = QLabel("Preparing the record…")
        self.pages = QVBoxLayout()
        holder = QWidget()
        holder.setLayout(self.pages)
        holder.setStyleSheet("background: #888")
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        self.setCentralWidget(body)
        self.resize(860, 1000)
        self.tasks.run(
            self._channel, partial(make_and_render, make_pdf), self._ready, self._failed, owner=self
        )

    def _ready(self, record: RenderedRecord) -> None:
        self.record = record
        self.busy.hide()
        self.status.setText(f"{len(record.pages)} page{'s' if len(record.pages) != 1 else ''}")
        for image in record.pages:
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(to_qimage(image)))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.pages.addWidget(label)
        for action in (self.save_action, self.print_action):
            action.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.busy.hide()
        self.print_action.setEnabled(self.record is not None)
        self.status.setText(f"The record could not be made: {message}")

    @classmethod
    def ask_save_path(cls, parent, suggested: str) -> Path | None:
        """Tests replace this. The dialog asks before returning an existing file."""
        name, _ = QFileDialog.getSaveFileName(parent, "Save record as PDF", suggested, "PDF (*.pdf)")
        return Path(name) if name else None

    @classmethod
    def tell(cls, parent, title: str, message: str) -> None:
        """Tests replace this."""
        QMessageBox.warning(parent, title, message)

    @classmethod
    def ask_printer(cls, parent) -> QPrinter | None:
        """Tests replace this: a printer set up by the user, or None if cancelled."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        return printer if dialog.exec() == QPrintDialog.DialogCode.Accepted else None

    def save_as(self) -> None:
        if self.record is None:
            return
        path = self.ask_save_path(self, self.file_name)
        if path is None:
            return
        try:  # an existing file was confirmed in the dialog; a database is refused all the same
            write_atomically_bytes(path, self.record.pdf, replace=True)
        except AliquotError as error:
            self.status.setText(f"Not saved: {error}")
            self.tell(self, "Record not saved", str(error))
            return
        self.status.setText(f"Saved to {path}")

    def print_record(self) -> None:
        """Each page drawn at the printer's resolution (off the GUI thread), fitted to its
        printable area."""
        if self.record is None:
            return
        printer = self.ask_printer(self)
        if printer is None:
            return
        self.print_action.setEnabled(False)
        self.busy.show()
        self.status.setText("Preparing the pages for the printer…")
        self.tasks.run(
            f"{self._channel}-print",
            partial(render_pages, self.record.pdf, printer.resolution() / 72),
            partial(self._print_pages, printer),
            self._failed,
            owner=self,
        )

    def _print_pages(self, printer: QPrinter, pages: list) -> None:
        self.busy.hide()
        self.print_action.setEnabled(True)
        painter = QPainter()
        if not painter.begin(printer):
            self.status.setText("The printer could not be started")
            return
        try:
            for number, image in enumerate(pages):
                if number:
                    printer.newPage()
                target = painter.viewport()
                picture = to_qimage(image)
                size = picture.size().scaled(target.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.setViewport(QRect(target.x(), target.y(), size.width(), size.height()))
                painter.setWindow(picture.rect())
                painter.drawImage(0, 0, picture)
                painter.setViewport(target)
        finally:
            painter.end()
        self.status.setText(f"Sent {len(pages)} page{'s' if len(pages) != 1 else ''} to the printer")

    def closeEvent(self, event) -> None:
        self.tasks.wait()
        super().closeEvent(event)
