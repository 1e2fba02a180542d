"""The one field a dose is typed into: the text goes through models.amounts.parse_amount,
never through the widget's locale, and what was understood (or why not) shows beneath."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from models.amounts import format_dose, parse_amount
from models.base import format_amount
from models.vocabulary import DoseUnit
from ui.field_message import FieldMessage, lay_out_typed_field


class AmountField(QWidget):
    """A dose in the unit of one product. `text_edited` fires on every keystroke."""

    text_edited = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.unit: DoseUnit | None = None
        self.product = ""
        self.line = QLineEdit()
        self.line.setAccessibleName("Amount")
        self.unit_label = QLabel()
        self.message = FieldMessage()
        lay_out_typed_field(self, self.line, self.unit_label, self.message)
        self.line.textEdited.connect(self._typed)

    def set_unit(self, unit: DoseUnit | None, product: str = "") -> None:
        """The unit typed amounts are read in (None: the selection mixes units)."""
        self.unit, self.product = unit, product
        self.unit_label.setText(unit.value if unit else "")

    def set_amount(self, amount: Decimal | None) -> None:
        self.line.setText("" if amount is None else format_amount(amount))
        self.line.setModified(False)
        self.show_refusal(None)

    def amount(self) -> Decimal:
        """The typed dose; ValidationError (a ValueError) with the reason when it is not one."""
        return parse_amount(self.line.text(), self.unit, self.product)

    def show_refusal(self, reason: str | None) -> None:
        self.message.refused(reason)

    def _typed(self) -> None:
        """Each keystroke says at once what will be recorded, or why nothing will."""
        written = self.line.text().strip()
        if self.unit is None or not written:
            self.message.clear_message()
        else:
            try:
                understood = self.amount()
            except ValueError as refused:
                self.message.refused(str(refused))
            else:
                # "2,5" or "4u": say what is recorded; a plain "2.5" needs no echo.
                self.message.understood(
                    None
                    if format_amount(understood) == written
                    else f"recorded as {format_dose(understood, self.unit)}"
                )
        self.text_edited.emit()
