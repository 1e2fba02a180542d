"""The one field a date is typed into: ISO or the workstation's short format, read by
models.dates.parse_date; what was understood is spelled out beneath (month in words, so
3/4 cannot be misread), and a calendar opens at the month that field most likely needs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from PySide6.QtCore import QDate, QLocale, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QTimeEdit,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from models.dates import Century, locale_order, parse_date
from models.errors import ValidationError
from ui.field_message import FieldMessage, lay_out_typed_field

EXAMPLE = date(2027, 8, 31)


def years_from_today(years: int) -> Callable[[], date]:
    """Where a calendar opens: today's month that many years away (asked when it opens)."""

    def start() -> date:
        today = date.today()
        return today.replace(year=today.year + years, day=min(today.day, 28))

    return start


class DateField(QWidget):
    """A date or nothing. `edited` fires on every change, typed or picked."""

    edited = Signal()

    def __init__(
        self, century: Century, calendar_start: Callable[[], date], month_end: bool = False, parent=None
    ):
        super().__init__(parent)
        self.century = century
        self.calendar_start = calendar_start
        self.month_end = month_end
        self.locale = QLocale()
        self.order = locale_order(self.locale.dateFormat(QLocale.FormatType.ShortFormat))
        self.line = QLineEdit()
        local_example = self.locale.toString(QDate(EXAMPLE), QLocale.FormatType.ShortFormat)
        self.line.setPlaceholderText(f"{EXAMPLE.isoformat()} or {local_example}")
        self.line.setToolTip(
            self.line.placeholderText() + (" — a month alone (2027-08) is its last day" if month_end else "")
        )
        self.calendar = QCalendarWidget()
        self.calendar.setGridVisible(True)
        self.menu = QMenu(self)
        picker = QWidgetAction(self.menu)
        picker.setDefaultWidget(self.calendar)
        self.menu.addAction(picker)
        self.button = QToolButton(text="▾")
        self.button.setToolTip("Choose on a calendar")
        self.button.setAccessibleName("Choose on a calendar")
        self.message = FieldMessage()
        lay_out_typed_field(self, self.line, self.button, self.message)
        self.line.textChanged.connect(self._changed)
        self.button.clicked.connect(self.open_calendar)
        self.calendar.clicked.connect(self._picked)
        self.calendar.activated.connect(self._picked)

    def date(self) -> date | None:
        """The typed date, None when the field is empty; ValidationError says why a text is no date."""
        if not self.line.text().strip():
            return None
        return parse_date(self.line.text(), self.order, self.century, month_end=self.month_end)

    def set_date(self, value: date | None) -> None:
        self.line.setText(value.isoformat() if value else "")

    def prepare_calendar(self) -> None:
        """The calendar shows the typed date, or the month this field most likely needs."""
        try:
            shown = self.date() or self.calendar_start()
        except ValueError:
            shown = self.calendar_start()
        self.calendar.setSelectedDate(QDate(shown))
        self.calendar.setCurrentPage(shown.year, shown.month)

    def open_calendar(self) -> None:
        self.prepare_calendar()
        self.menu.popup(self.button.mapToGlobal(self.button.rect().bottomLeft()))

    def _picked(self, picked: QDate) -> None:
        self.set_date(picked.toPython())
        self.menu.close()

    def _changed(self) -> None:
        try:
            understood = self.date()
        except ValueError as refused:
            self.message.refused(str(refused))
        else:
            # "23.07.88" or "2027-08": say which day that is; an ISO date needs no echo.
            echo = understood and understood.isoformat() != self.line.text().strip()
            self.message.understood(
                self.locale.toString(QDate(understood), QLocale.FormatType.LongFormat) if echo else None
            )
        self.edited.emit()


class DateTimeField(QWidget):
    """A day typed as in DateField and a time of day to the minute, on the clinic's clock."""

    edited = Signal()

    def __init__(self, century: Century, calendar_start: Callable[[], date], parent=None):
        super().__init__(parent)
        self.day = DateField(century, calendar_start)
        self.time = QTimeEdit(displayFormat="HH:mm")
        self.time.setAccessibleName("Time of day")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.day, 1)
        row.addWidget(self.time, 0, Qt.AlignmentFlag.AlignTop)
        self.day.edited.connect(self.edited)
        self.time.timeChanged.connect(self.edited)

    def moment(self) -> datetime:
        """The typed day and time (naive: the caller knows the clinic's zone); ValidationError
        when the day is empty or not a date."""
        day = self.day.date()
        if day is None:
            raise ValidationError("type the visit's date, such as 2027-08-31", "started_at")
        return datetime.combine(day, self.time.time().toPython())

    def set_moment(self, moment: datetime) -> None:
        self.day.set_date(moment.date())
        self.time.setTime(QTime(moment.hour, moment.minute))
