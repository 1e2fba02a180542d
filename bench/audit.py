"""`aliquot audit verify` at clinic scale: 1,000,000 audit events and 300,000 signed visits.

The 100,000-patient clinic (bench/foundation.py) has about 305,000 visits, nearly all
signed and sealed as they were generated. This script tops its trail up to a million
events (views and prints, chained as the program chains them) on a copy of the database,
then times the whole verification: the chain event by event, and every signed visit read
again from its rows and compared with what was signed.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.engine import URL

from app.services.audit import record_events
from app.services.trail import verify_trail
from app.storage.database import open_database
from bench.common import clinic_database_path, report
from models.tables import AuditEvent, Patient, Visit
from models.vocabulary import VisitStatus

EVENTS = 1_000_000


def main() -> int:
    source = clinic_database_path(__doc__)
    if source is None:
        return 2
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.db"
        shutil.copyfile(source, path)
        db = open_database(URL.create("sqlite", database=str(path)), "bench@workstation")
        try:
            _top_up(db)
            with db.factory() as session:
                events = session.scalar(select(func.count()).select_from(AuditEvent))
                signed = session.scalar(
                    select(func.count()).select_from(Visit).where(Visit.status == VisitStatus.SIGNED)
                )
            print(f"database: {events} audit events, {signed} signed visits")
            start = time.perf_counter()
            result = verify_trail(db)
            seconds = time.perf_counter() - start
            print(f"  {result.summary()}")
            ok = report("verify the chain and every signed visit", seconds, 10, "s")
        finally:
            db.close()
    return 0 if ok and result.ok else 1


def _top_up(db) -> None:
    """Views and prints of the clinic's patients until the trail holds EVENTS events."""
    with db.factory.begin() as session:
        have = session.scalar(select(func.count()).select_from(AuditEvent))
        patients = session.scalars(select(Patient.id)).all()
        missing = EVENTS - have
        if missing <= 0:
            return
        start = time.perf_counter()
        batch: list[tuple[str, str, int, int | None, int | None, dict[str, object]]] = []
        for n in range(missing):
            patient = patients[n % len(patients)]
            batch.append(("view" if n % 3 else "print", "patient", patient, patient, None, {}))
            if len(batch) == 50_000:
                record_events(session, "bench", batch)
                batch.clear()
        record_events(session, "bench", batch)
    print(f"  added {missing} events to the trail in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
