"""Photos at clinic scale: taking in a 24-megapixel photo, opening a patient with 500
photos, and a visit record with six photos (bench/foundation.py builds the clinic; this
script works on a copy of it)."""

from __future__ import annotations

import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select
from sqlalchemy.engine import URL

from app.exports.records import visit_record_pdf
from app.services.photos import add_photo, list_photos, thumbnails
from app.services.visits import create_visit
from app.storage.database import open_database
from bench.common import clinic_database_path, median_ms, report
from models.tables import Patient, Visit

POSES = ["rest", "smile", "frown", "brow-raise", "pucker", "eyes-closed"]
VISIBLE = 24  # thumbnails the strip shows at once


def face_photo(width: int, height: int, seed: int) -> bytes:
    """A phone-like photo: a face on a background with grain, as hard to compress as a
    real one (a flat drawing would make every figure look better than it is)."""
    image = Image.effect_noise((width, height), 40).convert("RGB")
    tint = Image.new("RGB", (width, height), (190 + seed % 40, 200, 215))
    image = Image.blend(image, tint, 0.6)
    draw = ImageDraw.Draw(image)
    draw.ellipse((width * 0.25, height * 0.18, width * 0.75, height * 0.78), fill=(225, 185, 155))
    return _jpeg(image.filter(ImageFilter.GaussianBlur(1)))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def main() -> int:
    source = clinic_database_path(__doc__)
    if source is None:
        return 2
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "photos.db"
        shutil.copyfile(source, path)
        db = open_database(URL.create("sqlite", database=str(path)), "bench@workstation")
        try:
            return _measure(db)
        finally:
            db.close()


def _measure(db) -> int:
    with db.factory() as session:
        chart, patient_id = session.execute(select(Patient.chart_number, Patient.id).limit(1)).one()
        provider_id, started_at = session.execute(
            select(Visit.provider_id, Visit.started_at).where(Visit.patient_id == patient_id).limit(1)
        ).one()
    results = []
    big = face_photo(6000, 4000, 1)
    print(f"a 24-megapixel JPEG of {len(big) / 1e6:.1f} MB")
    # Photos go to a draft (a signed visit's record cannot change): one made for the bench.
    visit = create_visit(db, patient_id, provider_id, started_at)
    timings = []
    for n in range(3):
        start = time.perf_counter()
        add_photo(db, visit.id, big, POSES[n], source_name="IMG_24MP.JPG")
        timings.append(time.perf_counter() - start)
    results.append(
        report("take in a 24 MP JPEG (kept image, thumbnail, hash)", statistics.median(timings), 1.0, "s")
    )
    for n in range(3, 6):
        add_photo(db, visit.id, face_photo(3000, 4000, n), POSES[n])
    for n in range(494):
        add_photo(db, visit.id, face_photo(600, 800, n), POSES[n % len(POSES)])

    def open_patient() -> None:
        listed = list_photos(db, chart)
        thumbnails(db, [p.id for p in listed[:VISIBLE]])

    results.append(
        report("open a patient with 500 photos (list, visible thumbnails)", median_ms(open_patient, 5), 100)
    )
    six = create_visit(db, patient_id, provider_id, started_at)  # a record with six photos
    for n, pose in enumerate(POSES):
        add_photo(db, six.id, big if n < 2 else face_photo(4000, 3000, n), pose)
    pdf = visit_record_pdf(db, six.id)
    results.append(
        report("visit record with six photos", median_ms(lambda: visit_record_pdf(db, six.id), 3), 500)
    )
    results.append(report("  its size", len(pdf) / 1e6, 3, "MB"))
    print("switch a compare pair: measured in the window (bench/charting.py), not here")
    print(f"{sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
