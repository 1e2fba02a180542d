"""Clinical photos: hostile files refused with nothing stored, identifying metadata gone,
orientation applied, the capture time kept, HEIC read, an import whole or not at all, the
photos in a backup, and a changed photo named by db check."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import zlib
from datetime import UTC, datetime

import pytest
from PIL import Image, TiffImagePlugin

from app.services import photos
from app.services.photos import add_photo, check_photos, export_photo, list_photos, photo_image
from app.services.visits import create_visit
from app.storage.database import backup_sqlite, open_database
from models.errors import ValidationError
from models.vocabulary import PhotoScope
from tests.conftest import ACTOR, at, snapshot, sqlite_url

GPS_IFD, EXIF_IFD = 0x8825, 0x8769


@pytest.fixture
def visit(db, patient, provider):
    return create_visit(db, patient.id, provider.id, at(2026, 11, 2))


def camera_jpeg(width=600, height=400, orientation=1, gps=True) -> bytes:
    """A phone photo: left half red, right half blue, with EXIF a phone writes (location,
    camera serial, owner, capture time with its offset, orientation)."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x013B] = "Dr Owner Name"  # Artist
    exif[0xA431] = "SERIAL-123456"  # BodySerialNumber
    exif_ifd = exif.get_ifd(EXIF_IFD)
    exif_ifd[36867] = "2026:11:02 10:15:30"
    exif_ifd[36881] = "+01:00"
    if gps:
        gps_ifd = exif.get_ifd(GPS_IFD)
        gps_ifd[1] = "N"
        gps_ifd[2] = (
            TiffImagePlugin.IFDRational(51),
            TiffImagePlugin.IFDRational(30),
            TiffImagePlugin.IFDRational(0),
        )
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95, comment=b"taken at Home Street 1")
    return out.getvalue()


def test_a_photo_is_kept_as_pixels_only_upright_with_its_capture_time(db, visit):
    data = camera_jpeg(orientation=6)  # the phone was held on its side: rotate 90° clockwise
    assert b"SERIAL-123456" in data and b"Home Street" in data
    record = add_photo(db, visit.id, data, "rest", source_name="/phone/DCIM/IMG_0001.JPG")
    assert (record.width, record.height) == (400, 600)  # upright
    assert record.taken_at == datetime(2026, 11, 2, 9, 15, 30, tzinfo=UTC)
    _, stored = photo_image(db, record.id)
    assert hashlib.sha256(stored).hexdigest() == record.sha256
    for secret in (b"SERIAL-123456", b"Dr Owner Name", b"Home Street", b"PhoneMaker"):
        assert secret not in stored
    kept = Image.open(io.BytesIO(stored))
    assert not kept.getexif() and not kept.getexif().get_ifd(GPS_IFD)
    # the red half was on the left; after the 90° turn it is at the top
    assert kept.getpixel((200, 100))[0] > 200 and kept.getpixel((200, 500))[2] > 200
    assert kept.format == "JPEG"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a photo Aliquot can read"),
        (b"GIF89a" + b"\x00" * 100, "not a photo Aliquot can read|is a GIF image"),
        (b"%PDF-1.7 not an image", "not a photo Aliquot can read"),
        (camera_jpeg()[:2000], "not a photo Aliquot can read"),  # truncated mid-image
    ],
    ids=["empty", "gif", "pdf", "truncated"],
)
def test_hostile_or_damaged_files_are_refused_and_nothing_is_stored(db, visit, data, message):
    before = snapshot(db)
    with pytest.raises(ValidationError, match=message):
        add_photo(db, visit.id, data, "rest", source_name="evil.jpg")
    assert snapshot(db) == before


def bomb_png(side: int) -> bytes:
    """A tiny PNG that claims side × side pixels of zeros: a decompression bomb."""
    import struct

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (side + 1) * 64, 9)  # far too few rows: never decoded that far
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def test_a_decompression_bomb_and_an_oversized_file_are_refused(db, visit, monkeypatch):
    before = snapshot(db)
    with pytest.raises(ValidationError, match="megapixels at most|enormous image"):
        add_photo(db, visit.id, bomb_png(30_000), "rest", source_name="bomb.png")
    monkeypatch.setattr(photos, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ValidationError, match="a photo may be at most"):
        add_photo(db, visit.id, camera_jpeg(), "rest", source_name="big.jpg")
    assert snapshot(db) == before


def test_an_unknown_pose_is_refused_and_a_clinic_s_own_key_is_kept(db, visit):
    with pytest.raises(ValidationError, match="not a pose"):
        add_photo(db, visit.id, camera_jpeg(), "smile please!")
    assert add_photo(db, visit.id, camera_jpeg(), "Lip-Eversion").pose == "lip-eversion"


def test_heic_from_a_phone_is_read(db, visit):
    pillow_heif = pytest.importorskip("pillow_heif")
    image = Image.new("RGB", (320, 240), (10, 200, 30))
    heif = pillow_heif.from_pillow(image)
    out = io.BytesIO()
    heif.save(out, quality=90)
    record = add_photo(db, visit.id, out.getvalue(), "rest", source_name="IMG_0002.HEIC")
    assert (record.width, record.height, record.media_type) == (320, 240, "image/jpeg")


def test_heic_without_the_extra_says_what_to_do(db, visit, monkeypatch):
    monkeypatch.setattr(photos, "_heif_available", lambda: False)
    fake_heic = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64
    with pytest.raises(ValidationError, match=r"HEIC/HEIF photo: install Aliquot's heif extra"):
        add_photo(db, visit.id, fake_heic, "rest", source_name="IMG_0003.HEIC")


def test_a_crash_during_an_import_leaves_nothing(db, visit, monkeypatch):
    before = snapshot(db)

    def power_cut(*_args, **_kwargs):
        raise RuntimeError("the power went")

    monkeypatch.setattr(photos, "record_event", power_cut)  # after the photo rows are added
    with pytest.raises(RuntimeError):
        add_photo(db, visit.id, camera_jpeg(), "rest")
    assert snapshot(db) == before


def test_a_backup_holds_the_photos_and_they_read_back_identical(db, visit, tmp_path):
    record = add_photo(db, visit.id, camera_jpeg(), "smile")
    copy = backup_sqlite(db, tmp_path / "backup.db")
    restored = open_database(sqlite_url(copy), ACTOR)
    try:
        [listed] = list_photos(restored, "A-0001")
        assert (listed.pose, listed.sha256) == ("smile", record.sha256)
        out = export_photo(restored, listed.id, tmp_path / "smile.jpg")
        assert hashlib.sha256(out.read_bytes()).hexdigest() == record.sha256
        assert check_photos(restored) == []
    finally:
        restored.close()


def test_a_stored_photo_cannot_be_changed_and_db_check_names_one_that_was(db, db_path, visit):
    record = add_photo(db, visit.id, camera_jpeg(), "frown", PhotoScope.TEACHING)
    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="stored photo is kept as it was taken"):
        connection.execute("UPDATE photo_image SET data = x'00'")
    connection.execute("DROP TRIGGER lock_photo_image_update")
    connection.execute("UPDATE photo_image SET data = x'00'")
    connection.commit()
    assert check_photos(db) == [f"photo {record.id} does not match its SHA-256 (changed in the database)"]
    with pytest.raises(ValidationError, match="does not match its SHA-256"):
        photo_image(db, record.id)


def test_the_command_line_adds_lists_and_exports_photos(db_path, db, visit, tmp_path):
    import json

    from tests.app.test_cli import aliquot, assert_one_line_refusal

    db.close()
    (tmp_path / "rest.jpg").write_bytes(camera_jpeg())
    (tmp_path / "smile.jpg").write_bytes(camera_jpeg(orientation=3))
    (tmp_path / "evil.jpg").write_bytes(b"\xff\xd8\xff not really")
    added = aliquot(
        "photos", "add", visit.id, tmp_path / "rest.jpg", tmp_path / "smile.jpg", "--pose", "rest", db=db_path
    )
    assert added.stdout.count(f"added to visit {visit.id}") == 2
    refused = aliquot(
        "photos", "add", visit.id, tmp_path / "evil.jpg", "--pose", "smile", db=db_path, check=False
    )
    assert_one_line_refusal(refused, "evil.jpg is not a photo Aliquot can read")
    listed = json.loads(aliquot("photos", "list", "A-0001", "--json", db=db_path).stdout)
    assert [(p["pose"], p["width"], p["height"]) for p in listed] == [("rest", 600, 400), ("rest", 600, 400)]
    assert set(listed[0]) == {"id", "visit", "pose", "scope", "taken", "width", "height", "sha256"}
    out = tmp_path / "out.jpg"
    aliquot("photos", "export", listed[0]["id"], "-o", out, db=db_path)
    assert hashlib.sha256(out.read_bytes()).hexdigest() == listed[0]["sha256"]
    assert_one_line_refusal(
        aliquot("photos", "export", listed[0]["id"], "-o", out, db=db_path, check=False), "already exists"
    )
    assert "photos: ok" in aliquot("db", "check", db=db_path).stdout


def test_thumbnails_the_previous_photo_of_a_pose_and_landmarks(db, patient, provider, visit):
    from app.services.photos import (
        load_landmarks,
        previous_of_pose,
        save_landmarks,
        thumbnails,
        visit_photos,
    )

    first = add_photo(db, visit.id, camera_jpeg(), "smile")
    later_visit = create_visit(db, patient.id, provider.id, at(2026, 11, 16))
    rest = add_photo(db, later_visit.id, camera_jpeg(), "rest")
    smile = add_photo(db, later_visit.id, camera_jpeg(), "smile")
    assert [p.id for p in visit_photos(db, later_visit.id)] == [rest.id, smile.id]
    assert previous_of_pose(db, smile.id) == first and previous_of_pose(db, rest.id) is None
    small = thumbnails(db, [first.id, smile.id])
    assert set(small) == {first.id, smile.id}
    assert max(Image.open(io.BytesIO(small[first.id])).size) <= photos.THUMBNAIL_SIDE
    placed = save_landmarks(db, smile.id, {"pupil_l": (400.0, 150.0), "pupil_r": (200.0, 150.0)}, 40.0)
    assert load_landmarks(db, smile.id) == placed and load_landmarks(db, rest.id) is None
    with pytest.raises(ValidationError, match="outside the 600 × 400 photo"):
        save_landmarks(db, smile.id, {"chin": (300.0, 9999.0)}, None)
    assert load_landmarks(db, smile.id) == placed


def test_the_record_carries_the_visit_s_photos_and_a_clinical_only_photo_never_leaves(db, visit):
    import pypdf

    from app.exports.records import visit_record_pdf

    # three different images (a PDF holds one copy of identical ones)
    add_photo(db, visit.id, camera_jpeg(600, 400), "rest")  # clinical record only
    add_photo(db, visit.id, camera_jpeg(500, 400), "smile", PhotoScope.TEACHING)
    add_photo(db, visit.id, camera_jpeg(400, 400), "frown", PhotoScope.MARKETING)

    def photos_in(pdf: bytes) -> tuple[int, str]:
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        images = sum(len(page.images) for page in reader.pages)
        return images, " ".join(page.extract_text() for page in reader.pages)

    clinical, text = photos_in(visit_record_pdf(db, visit.id))
    assert clinical >= 3 and all(pose in text for pose in ("rest", "smile", "frown"))
    teaching, text = photos_in(visit_record_pdf(db, visit.id, PhotoScope.TEACHING))
    assert teaching == clinical - 1 and "rest ·" not in text and "for teaching" in text
    marketing, text = photos_in(visit_record_pdf(db, visit.id, PhotoScope.MARKETING))
    assert marketing == clinical - 2 and "frown" in text and "smile" not in text


def test_a_signed_visit_s_photos_are_those_it_was_signed_with(db, db_path, provider, patient):
    from app.services.signing import sign_visit
    from app.services.users import add_user, sign_in
    from app.services.visits import replace_points
    from models.errors import ConflictError
    from models.vocabulary import Role
    from tests.conftest import botox_point

    visit = create_visit(db, patient.id, provider.id, at(2026, 11, 2), consent_recorded=True)
    visit = replace_points(db, visit.id, visit.version, [botox_point()])
    kept = add_photo(db, visit.id, camera_jpeg(), "rest")
    add_user(db, "admin", Role.ADMIN, "admin password 1")
    sign_in(db, "admin", "admin password 1")
    add_user(db, "dana", Role.INJECTOR, "dana password 1", provider_id=provider.id)
    sign_in(db, "dana", "dana password 1")
    sign_visit(db, visit.id)
    before = snapshot(db)
    with pytest.raises(ConflictError, match="is signed and its record cannot change"):
        add_photo(db, visit.id, camera_jpeg(500, 300), "smile")
    connection = sqlite3.connect(db_path)
    for statement in (
        "UPDATE photo SET scope = 'marketing'",
        "DELETE FROM photo",
        "INSERT INTO photo (visit_id, pose, scope, added_at, width, height, media_type, byte_size, sha256,"
        f" source_name, thumbnail) SELECT visit_id, 'smile', scope, added_at, width, height, media_type,"
        f" byte_size, sha256, source_name, thumbnail FROM photo WHERE id = {kept.id}",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="signed visit is locked"):
            connection.execute(statement)
    assert snapshot(db) == before


def test_asymmetry_is_measured_per_photo_with_its_change_and_the_doses_per_side(db, patient, provider, visit):
    from app.services.asymmetry import patient_asymmetry
    from app.services.photos import save_landmarks
    from app.services.visits import replace_points
    from models.asymmetry import Measure, Side
    from models.landmarks import Landmark
    from tests.conftest import botox_point
    from tests.models.face_landmarks import IRIS_PX, face_points, moved, on_photo

    def place(photo_id, points):
        landmarks = on_photo(points, size=800)
        save_landmarks(db, photo_id, {key.value: point for key, point in landmarks.items()}, IRIS_PX)

    first = add_photo(db, visit.id, camera_jpeg(800, 800), "rest")
    place(first.id, face_points())
    later = create_visit(db, patient.id, provider.id, at(2026, 11, 16))
    replace_points(
        db, later.id, later.version, [botox_point("forehead_l", "6"), botox_point("forehead_r", "4")]
    )
    raised = moved(face_points(), Landmark.BROW_PEAK_L, up=8)  # 8 px at 0.25 mm/px: 2 mm
    rest = add_photo(db, later.id, camera_jpeg(800, 800), "rest")
    place(rest.id, raised)
    smile = add_photo(db, later.id, camera_jpeg(800, 800), "smile")
    place(smile.id, moved(moved(raised, Landmark.COMMISSURE_L, 8, 12), Landmark.COMMISSURE_R, -4, 4))
    unplaced = add_photo(db, later.id, camera_jpeg(800, 800), "frown")

    by_photo = {m.photo_id: m for m in patient_asymmetry(db, "A-0001")}
    brow = by_photo[rest.id].measurements.paired[Measure.BROW_HEIGHT]
    assert brow.difference == pytest.approx(2.0, abs=1e-6) and brow.greater is Side.LEFT
    assert by_photo[first.id].measurements.paired[Measure.BROW_HEIGHT].difference == pytest.approx(
        0, abs=1e-9
    )
    assert by_photo[rest.id].change is not None and by_photo[first.id].change is None
    excursion = by_photo[smile.id].smile_excursion
    assert excursion.left > excursion.right > 0
    assert (
        by_photo[unplaced.id].measurements is None
        and by_photo[unplaced.id].not_measured == "no landmarks placed"
    )
    assert any("left 6 U" in line and "right 4 U" in line for line in by_photo[rest.id].doses_per_side)
    from app.services.asymmetry import describe, lines_of

    words = lines_of(by_photo[rest.id])
    assert any(line.startswith("brow height: ") and "left greater by 2.0 mm" in line for line in words)
    assert any("since the last visit: +2.0 mm" in line for line in words)
    assert describe(by_photo[rest.id])["measures_mm"]["brow height"]["left_minus_right"] == 2.0


def test_the_history_compares_the_first_and_latest_photo_of_each_pose_with_their_measures(
    db, patient, provider, visit
):
    import pypdf

    from app.exports.records import history_pdf
    from app.services.photos import save_landmarks
    from models.landmarks import Landmark
    from tests.models.face_landmarks import IRIS_PX, face_points, moved, on_photo

    def place(photo_id, points, angle=0.0, scale=1.0):
        landmarks = on_photo(points, size=800, angle=angle, scale=scale)
        iris = IRIS_PX * scale  # the iris looks smaller on a photo taken farther away
        save_landmarks(db, photo_id, {key.value: point for key, point in landmarks.items()}, iris)

    first = add_photo(db, visit.id, camera_jpeg(800, 800), "rest")
    place(first.id, face_points())
    later = create_visit(db, patient.id, provider.id, at(2026, 11, 16))
    latest = add_photo(db, later.id, camera_jpeg(800, 800), "rest")
    place(latest.id, moved(face_points(), Landmark.BROW_PEAK_L, up=8), angle=0.1, scale=0.9)
    add_photo(db, later.id, camera_jpeg(700, 800), "smile")  # one visit only: no comparison
    reader = pypdf.PdfReader(io.BytesIO(history_pdf(db, "A-0001")))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Photos: rest, first and latest" in text and "Photos: smile" not in text
    assert "First: 2026-11-02" in text and "Latest: 2026-11-16" in text
    assert "left greater by 2.0 mm" in text and "since the last visit: +2.0 mm" in text


def test_a_new_visit_with_photos_is_never_discarded_as_empty(db, visit):
    from app.services.visits import discard_empty_draft

    add_photo(db, visit.id, camera_jpeg(), "rest")
    assert not discard_empty_draft(db, visit.id, visit.version)
    assert [p.pose for p in list_photos(db, "A-0001")] == ["rest"]
