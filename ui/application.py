from __future__ import annotations

from PySide6.QtWidgets import QApplication

from app.database import Database


def run(database: Database, argv: list[str]) -> int:
    application = QApplication.instance() or QApplication(argv)
    from ui.main_window import MainWindow

    window = MainWindow(database)
    window.show()
    return application.exec()
