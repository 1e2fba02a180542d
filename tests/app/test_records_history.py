"""The history PDF: the same text as before it was made fast, from a handful of queries."""

import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
from sqlalchemy import event

from app.exports.interchange import import_document
from app.exports.records import history_pdf
from app.storage.database import Database
from bench.charting import BUSY_CHART, busy_patient_document
from tests.app.test_interchange import rich_document

# The text of these two histories as printed when each visit was read in its own session
# (one page a form feed, the histories apart by a blank line and a form feed).
GOLDEN = Path(__file__).parent / "data" / "history_golden.txt"


def history_clinic(db: Database) -> list[str]:
    """Two patients: one with drafts and three products, one seen twelve times."""
    db.timezone = ZoneInfo("Europe/London")  # the printed times do not depend on the machine
    import_document(db, rich_document(), "zoe.json")
    import_document(db, busy_patient_document(visits=12, points=30), "busy.json")
    return ["A-0001", BUSY_CHART]


def page_texts(pdf: bytes) -> str:
    return "\f".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def test_history_text_is_as_it_was(db):
    charts = history_clinic(db)
    texts = [page_texts(history_pdf(db, chart)) for chart in charts]
    assert "\n\f\n".join(texts) + "\n" == GOLDEN.read_text(encoding="utf-8")


def test_history_reads_the_chart_in_a_few_queries_whatever_the_visits(db):
    history_clinic(db)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        history_pdf(db, "A-0001")  # two visits
        few = len(statements)
        statements.clear()
        history_pdf(db, BUSY_CHART)  # twelve visits
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert many == few <= 13  # the chart, its products, whether it has photos, the trail
