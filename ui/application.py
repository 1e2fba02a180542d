from __future__ import annotations

import os

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

import resources

from app.database import Database


def run(database: Database, argv: list[str]) -> int:
    application = QApplication.instance() or QApplication(argv)
    application.setApplicationName("Aliquot")
    application.setWindowIcon(QIcon(str(resources.path("icon.svg"))))
    from ui.main_window import MainWindow

    window = MainWindow(database)
    window.show()
    if os.environ.get("ALIQUOT_QUIT_WHEN_PAINTED"):
        _quit_when_painted(application, window)  # installer smoke test and start-up timing
    return application.exec()


def _quit_when_painted(application: QApplication, window) -> None:
    """Print "painted" and quit once the patient list has loaded and the window drawn."""
    def check() -> None:
        if window.patient_model.rowCount() and window.tasks.is_idle():
            window.grab()
            print("painted", flush=True)
            application.quit()
        else:
            QTimer.singleShot(10, check)

    QTimer.singleShot(0, check)
