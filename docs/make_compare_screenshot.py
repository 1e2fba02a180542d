"""The Compare view's screenshot for the docs, made without a screen:

    QT_QPA_PLATFORM=offscreen python docs/make_compare_screenshot.py docs/screenshots

A clinic of one patient is made in a temporary folder: two visits a month apart, each with a
frontal photo at rest drawn with Pillow (a face with brows, eyes, nose and mouth) and its
landmarks placed exactly where they are drawn; at the later visit the head is tilted, the
camera farther and the patient's left brow raised. Writes photo-compare.png: the two photos
blended half and half, the later one aligned on the earlier one's eyes, the measures beside.
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy.engine import URL

from app.services.patients import create_patient
from app.services.photos import add_photo, save_landmarks
from app.services.providers import create_provider
from app.services.visits import create_visit, replace_points
from app.storage.database import open_database
from models.records import PatientDraft, PointDraft
from models.vocabulary import Sex

WIDTH, HEIGHT = 900, 1200
IRIS = 64.0  # pixels across the iris on the earlier photo (11.7 mm: 0.18 mm per pixel)
# The patient's left half of the face, (lateral toward the patient's left, height up) in
# pixels from the midpoint of the pupils; the right half is its mirror image.
SHAPE = {
    "pupil": (90.0, 0.0),
    "medial_canthus": (44.0, -2.0),
    "lateral_canthus": (136.0, 4.0),
    "upper_lid": (90.0, 24.0),
    "lower_lid": (90.0, -22.0),
    "brow_peak": (112.0, 78.0),
    "brow_tail": (172.0, 56.0),
    "ala": (44.0, -175.0),
    "commissure": (70.0, -275.0),
    "cupid_peak": (20.0, -240.0),
}
MIDLINE = {"lower_lip_mid": (0.0, -312.0), "chin": (0.0, -445.0)}
SKIN, BROW, LIP, IRIS_COLOUR = (232, 192, 165), (92, 62, 40), (190, 90, 95), (92, 120, 90)


def face(raise_left_brow: float = 0.0) -> dict[str, tuple[float, float]]:
    points: dict[str, tuple[float, float]] = {}
    for name, (lateral, height) in SHAPE.items():
        lift = raise_left_brow if name.startswith("brow") else 0.0
        points[f"{name}_l"] = (lateral, height + lift)
        points[f"{name}_r"] = (-lateral, height)
    points.update(MIDLINE)
    return points


def photo(points, angle=0.0, scale=1.0, shift=(0.0, 0.0)):
    """The face drawn on a photo, turned by `angle`, magnified by `scale`, moved by `shift`;
    returns the JPEG and the landmarks where they are drawn (image pixels)."""
    cos, sin = math.cos(angle), math.sin(angle)
    cx, cy = WIDTH / 2 + shift[0], HEIGHT * 0.42 + shift[1]

    def px(lateral: float, height: float) -> tuple[float, float]:
        x, y = lateral * scale, -height * scale
        return (cx + cos * x - sin * y, cy + sin * x + cos * y)

    image = Image.new("RGB", (WIDTH, HEIGHT), (200, 208, 220))
    draw = ImageDraw.Draw(image)
    oval = [px(210 * math.cos(t / 60 * math.pi), -140 + 300 * math.sin(t / 60 * math.pi)) for t in range(120)]
    hair = [px(232 * math.cos(t / 40 * math.pi), -120 + 345 * math.sin(t / 40 * math.pi)) for t in range(41)]
    draw.polygon(hair, fill=(70, 48, 32))
    draw.polygon(oval, fill=SKIN)
    fringe = [px(200 * math.cos(t / 30 * math.pi), 120 + 90 * math.sin(t / 30 * math.pi)) for t in range(31)]
    draw.polygon([*fringe, px(-120, 150), px(0, 140), px(140, 160)], fill=(70, 48, 32))
    for side in ("l", "r"):
        sign = 1 if side == "l" else -1
        peak, tail = points[f"brow_peak_{side}"], points[f"brow_tail_{side}"]
        head = (sign * 40.0, peak[1] - 22)
        draw.line([px(*head), px(*peak), px(*tail)], fill=BROW, width=round(13 * scale), joint="curve")
        eye = [
            points[f"medial_canthus_{side}"],
            points[f"upper_lid_{side}"],
            points[f"lateral_canthus_{side}"],
        ]
        lower = points[f"lower_lid_{side}"]
        outline = [px(*p) for p in _curve(eye[0], eye[1], eye[2])] + [
            px(*p) for p in _curve(eye[2], lower, eye[0])
        ]
        draw.polygon(outline, fill=(250, 250, 248))
        pupil = px(*points[f"pupil_{side}"])
        r = IRIS / 2 * scale
        draw.ellipse((pupil[0] - r, pupil[1] - r, pupil[0] + r, pupil[1] + r), fill=IRIS_COLOUR)
        r = 9 * scale
        draw.ellipse((pupil[0] - r, pupil[1] - r, pupil[0] + r, pupil[1] + r), fill=(15, 15, 15))
        draw.line(outline + [outline[0]], fill=(120, 80, 70), width=max(1, round(3 * scale)))
        ala = px(*points[f"ala_{side}"])
        r = 13 * scale
        draw.ellipse((ala[0] - r, ala[1] - r * 0.7, ala[0] + r, ala[1] + r * 0.7), fill=(170, 115, 100))
    draw.line([px(0, -60), px(-10, -150), px(0, -172)], fill=(200, 150, 130), width=round(4 * scale))
    upper = [
        points["commissure_r"],
        points["cupid_peak_r"],
        (0.0, points["cupid_peak_r"][1] - 8),
        points["cupid_peak_l"],
        points["commissure_l"],
        (0.0, points["commissure_l"][1] - 4),
    ]
    lower = [
        points["commissure_l"],
        *_curve(points["commissure_l"], points["lower_lip_mid"], points["commissure_r"]),
    ]
    draw.polygon([px(*p) for p in upper], fill=LIP)
    draw.polygon([px(*p) for p in lower], fill=(200, 100, 105))
    noisy = Image.blend(image, Image.effect_noise((WIDTH, HEIGHT), 30).convert("RGB"), 0.06)
    out = io.BytesIO()
    noisy.filter(ImageFilter.GaussianBlur(1.2)).save(out, "JPEG", quality=92)
    return out.getvalue(), {key: px(*point) for key, point in points.items()}, IRIS * scale


def _curve(a, b, c, steps=12):
    """A quadratic curve from a through (near) b to c."""
    control = (2 * b[0] - (a[0] + c[0]) / 2, 2 * b[1] - (a[1] + c[1]) / 2)
    return [
        (
            (1 - t) ** 2 * a[0] + 2 * (1 - t) * t * control[0] + t**2 * c[0],
            (1 - t) ** 2 * a[1] + 2 * (1 - t) * t * control[1] + t**2 * c[1],
        )
        for t in (i / steps for i in range(steps + 1))
    ]


def botox(region: str, units: str) -> PointDraft:
    return PointDraft(
        view="front",
        x=0.5,
        y=0.3,
        region_code=region,
        product_name="Botox Cosmetic",
        amount=Decimal(units),
        unit="U",
        lot_number="C1234",
        lot_expiry=date(2030, 12, 31),
        depth="intramuscular",
        technique="needle",
        gauge="30G",
    )


def main(out: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from ui.fonts import register_bundled_fonts
    from ui.photo_compare import CompareView
    from ui.tasks import TaskRunner

    application = QApplication.instance() or QApplication(sys.argv)
    register_bundled_fonts()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(URL.create("sqlite", database=str(Path(folder) / "clinic.db")), "screenshots@docs")
        patient = create_patient(
            db, PatientDraft("A-0001", "Maya", "Lindqvist", date(1984, 5, 2), Sex.FEMALE)
        )
        provider = create_provider(db, "Dana Reyes", "RN")
        now = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
        shots = (
            (now - timedelta(days=56), face(), {}, [("forehead_l", "4"), ("forehead_r", "4")]),
            (
                now - timedelta(days=14),
                face(raise_left_brow=14),
                {"angle": 0.07, "scale": 0.86, "shift": (38.0, 30.0)},
                [("forehead_l", "2"), ("forehead_r", "6")],
            ),
        )
        for when, points, pose, doses in shots:
            visit = create_visit(db, patient.id, provider.id, when)
            replace_points(db, visit.id, visit.version, [botox(region, units) for region, units in doses])
            data, placed, iris = photo(points, **pose)
            record = add_photo(db, visit.id, data, "rest", source_name="rest.jpg")
            save_landmarks(db, record.id, placed, iris)
        tasks = TaskRunner()
        view = CompareView(db, tasks, patient.chart_number, "rest")
        view.resize(1240, 760)
        view.show()
        while not (view.pair() is not None and view.status.text().startswith("rest") and tasks.is_idle()):
            application.processEvents()
            tasks.wait()
        view.blend.setChecked(True)
        view.slider.setValue(50)
        for _ in range(20):
            application.processEvents()
        view.grab().save(str(out / "photo-compare.png"))
        tasks.wait()
        db.close()
    print(f"wrote {out / 'photo-compare.png'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "screenshots")
