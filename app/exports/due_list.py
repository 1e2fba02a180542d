"""The due list leaving the program: a spreadsheet (CSV) and a clinic calendar (ICS)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from app.services.recall import DueRow
from app.storage.files import csv_bytes

COLUMNS = [
    "chart_number",
    "patient",
    "phone",
    "area",
    "product",
    "last_treated",
    "due_from",
    "due_by",
    "status",
    "days_overdue",
]


def row_values(row: DueRow, today: date) -> list[object]:
    item = row.item
    return [
        row.chart_number,
        row.patient_name,
        row.phone,
        row.area,
        item.product_name,
        item.last_treated.isoformat(),
        item.due_from.isoformat(),
        item.due_by.isoformat(),
        item.status.value,
        row.days_overdue(today),
    ]


def to_csv(rows: list[DueRow], today: date) -> bytes:
    """For a spreadsheet: formula-safe, UTF-8 with a byte-order mark (app.storage.files.csv_bytes)."""
    return csv_bytes(COLUMNS, (row_values(row, today) for row in rows))


def to_ics(rows: list[DueRow], today: date, clinic: str = "Aliquot", names: bool = True) -> bytes:
    """One all-day event per recall on its due-from day, for a clinic calendar (RFC 5545).

    Without `names`, a title says the chart number only (a calendar others can see)."""
    import icalendar  # here, not on top: most commands never write a calendar

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Aliquot//recall list//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{clinic} recalls")
    stamp = datetime.combine(today, time(0, 0)).astimezone()
    for row in rows:
        item = row.item
        event = icalendar.Event()
        area = f"{item.area}-{item.side}" if item.side else item.area or "review"
        event.add(
            "uid",
            f"{row.chart_number}-{area}-{item.product_name}-{item.due_from.isoformat()}@aliquot".replace(
                " ", "_"
            ),
        )
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_from)
        event.add("dtend", item.due_from + timedelta(days=1))
        who = f"{row.patient_name} ({row.chart_number})" if names else row.chart_number
        event.add("summary", f"Recall {who}: {row.area}")
        event.add(
            "description",
            f"{item.product_name}, last treated {item.last_treated.isoformat()};"
            f" due {item.due_from.isoformat()} to {item.due_by.isoformat()};"
            f" {item.status.value}",
        )
        calendar.add_component(event)
    return bytes(calendar.to_ical())
