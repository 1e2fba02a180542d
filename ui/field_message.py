"""The line beneath a typed field: what was understood (grey) or why it was refused (red)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

REFUSED_STYLE = "color: #b00020"
UNDERSTOOD_STYLE = "color: #555555"


class FieldMessage(QLabel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.hide()

    def understood(self, text: str | None) -> None:
        self._say(text, UNDERSTOOD_STYLE)

    def refused(self, reason: str | None) -> None:
        self._say(reason, REFUSED_STYLE)

    def clear_message(self) -> None:
        self._say(None, "")

    def _say(self, text: str | None, style: str) -> None:
        self.setText(text or "")
        self.setStyleSheet(style if text else "")
        self.setVisible(bool(text))


def lay_out_typed_field(field: QWidget, line: QLineEdit, beside: QWidget, message: FieldMessage) -> None:
    """The typed line with its unit or button beside it, and the message beneath."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    row.addWidget(line, 1)
    row.addWidget(beside)
    column = QVBoxLayout(field)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(2)
    column.addLayout(row)
    column.addWidget(message)
