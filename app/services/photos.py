"""Clinical photos: a file taken in safely, kept in the clinic's database, and given back.

A photo file is never trusted. It is read by Pillow with limits: a file over
MAX_FILE_BYTES, an image over MAX_PIXELS (a decompression bomb) or one Pillow cannot decode
is refused with a message, and nothing is stored. What is stored is a new image made from
the pixels alone: the camera's orientation applied, no EXIF (location, camera serial,
owner …), no XMP or comments, the long side at most MAX_SIDE pixels, as JPEG (PNG for an
image with transparency). The capture time is read from EXIF before it is dropped and kept
in the photo's row. Each photo is written with its thumbnail, its SHA-256 and its audit
event in one transaction: a crash leaves the whole photo or nothing.

Storage: in the database (tables `photo` and `photo_image`), so that a backup holds the
photos, every workstation on PostgreSQL sees them, and an import is one transaction. Cost:
a 24-megapixel phone photo is kept at 4096 px on its long side, about 1.5–2.5 MB as JPEG
at quality 92, with a 15–25 kB thumbnail. A clinic of 300,000 visits with six photos each
(1.8 million photos) would hold about 3–4 TB of images: on PostgreSQL that is ordinary
(TOAST, one server's disk); in one SQLite file it is not, so such a clinic works on
PostgreSQL. The images sit in their own table so that a move to a managed folder of
content-addressed files (the hash already in `photo`) touches this module only.

HEIC/HEIF (iPhone and many Android phones) is read when the optional `heif` extra
(pillow-heif) is installed; without it such a file is refused with the remedy.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.changes import NOTHING, Changes, note
from app.services.users import require
from app.storage.database import Database
from models.accounts import Permission
from models.errors import AliquotError, ConflictError, NotFoundError, ValidationError
from models.landmarks import Landmarks
from models.tables import AdverseEvent, Photo, PhotoImage, PhotoLandmarks, Visit
from models.validation import check_text
from models.vocabulary import PhotoScope, Pose, VisitStatus

MAX_FILE_BYTES = 80 * 1024 * 1024  # a RAW-sized JPEG or a 48 MP HEIC is well below
MAX_PIXELS = 100_000_000  # 100 megapixels: beyond any phone or clinical camera
MAX_SIDE = 4096  # pixels: the stored image's long side
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 92
ACCEPTED = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "TIFF": "TIFF", "HEIF": "HEIC"}
_EXIF_TAKEN, _EXIF_OFFSET, _EXIF_IFD = 36867, 36881, 0x8769


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo file made safe to keep, not yet stored."""

    data: bytes
    media_type: str
    width: int
    height: int
    thumbnail: bytes
    taken_at: datetime | None
    sha256: str


@dataclass(frozen=True)
class PhotoRecord:
    id: int
    visit_id: int | None  # None: a photo of an adverse event
    patient_id: int
    pose: str
    scope: PhotoScope
    taken_at: datetime | None
    added_at: datetime
    width: int
    height: int
    media_type: str
    byte_size: int
    sha256: str
    adverse_event_id: int | None = None
    changes: Changes = field(default=NOTHING, compare=False)


def _heif_available() -> bool:
    try:
        from pillow_heif import register_heif_opener  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return False
    register_heif_opener()
    return True


def _looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in (
        b"heic",
        b"heix",
        b"mif1",
        b"msf1",
        b"heim",
        b"heis",
        b"hevc",
    )


def prepare_photo(data: bytes, name: str = "the file") -> PreparedPhoto:
    """Read a photo file with every limit, and make the image that is kept. Refuses, with
    a message naming the file, anything that is not a photo Aliquot can keep."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            f"{name} is {len(data) / 1e6:.0f} MB; a photo may be at most {MAX_FILE_BYTES // 1_000_000} MB",
            "photo",
        )
    if _looks_like_heif(data) and not _heif_available():
        raise ValidationError(
            f"{name} is a HEIC/HEIF photo: install Aliquot's heif extra (pip install 'aliquot[heif]'),"
            " or export it from the phone as JPEG",
            "photo",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            kind = ACCEPTED.get(image.format or "")
            if kind is None:
                raise ValidationError(
                    f"{name} is a {image.format or 'file'} image; photos are JPEG, PNG, TIFF or HEIC",
                    "photo",
                )
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    f"{name} is {image.width} × {image.height} pixels, more than a photo has"
                    f" ({MAX_PIXELS // 1_000_000} megapixels at most): not taken in",
                    "photo",
                )
            taken_at = _capture_time(image)
            image.seek(0)
            image.load()  # a damaged or truncated file fails here, before anything is kept
            upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(
            f"{name} would decompress to an enormous image: not taken in", "photo"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as error:
        raise ValidationError(f"{name} is not a photo Aliquot can read ({_short(error)})", "photo") from None
    return _kept(upright, taken_at)


def _short(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def _capture_time(image: Image.Image) -> datetime | None:
    """When the camera says the photo was taken (EXIF DateTimeOriginal, with its offset if
    given, else read as UTC); None when it does not say or says nonsense."""
    try:
        exif = image.getexif().get_ifd(_EXIF_IFD)
        stamp, offset = exif.get(_EXIF_TAKEN), exif.get(_EXIF_OFFSET)
        if not isinstance(stamp, str):
            return None
        moment = datetime.strptime(stamp.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        zone = UTC
        if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
            text = offset.strip("\x00 ")
            sign = -1 if text[0] == "-" else 1
            zone = timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))
        return moment.replace(tzinfo=zone).astimezone(UTC)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _kept(image: Image.Image, taken_at: datetime | None) -> PreparedPhoto:
    """The image as kept: pixels only (no metadata), at most MAX_SIDE, JPEG or PNG."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    pixels = image.convert("RGBA" if transparent else "RGB")
    pixels.info = {}  # Pillow would write the source's comment, XMP and EXIF back
    if max(pixels.size) > MAX_SIDE:
        pixels.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if transparent:
        pixels.save(out, "PNG", optimize=False)
        media_type = "image/png"
    else:
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        media_type = "image/jpeg"
    data = out.getvalue()
    return PreparedPhoto(
        data,
        media_type,
        pixels.width,
        pixels.height,
        thumbnail_of(pixels),
        taken_at,
        hashlib.sha256(data).hexdigest(),
    )


def thumbnail_of(image: Image.Image) -> bytes:
    small = image.convert("RGB")
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def read_photo_file(path: Path) -> bytes:
    """A photo file's bytes, refused (with its name) when it is missing, too large or
    unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValidationError(
                f"{path.name} is {size / 1e6:.0f} MB; a photo may be at most {MAX_FILE_BYTES // 1_000_000} MB",
                "photo",
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"{path}: no such file") from None
    except OSError as error:
        raise ValidationError(f"{path.name} could not be read ({error.strerror or error})", "photo") from None


def check_pose(pose: str) -> str:
    pose = pose.strip().lower()
    if pose in {p.value for p in Pose}:
        return pose
    if not pose or len(pose) > 40 or not all(c.isalnum() or c == "-" for c in pose):
        raise ValidationError(
            f"{pose!r} is not a pose: use one of {', '.join(p.value for p in Pose)}, or a clinic's own key"
            " (letters, digits and '-')",
            "pose",
        )
    return pose


def add_photo(
    db: Database,
    visit_id: int,
    data: bytes,
    pose: str,
    scope: PhotoScope = PhotoScope.CLINICAL,
    source_name: str = "",
) -> PhotoRecord:
    """Keep one photo of a visit (prepared first, so a refusal stores nothing)."""
    pose, source_name, prepared = _taken_in(data, pose, source_name)
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise NotFoundError(f"no visit with id {visit_id}")
        if visit.status is VisitStatus.SIGNED:
            raise ConflictError(
                f"visit {visit_id} is signed and its record cannot change: add photos before signing,"
                " or to an amendment or the next visit"
            )
        photo = _stored(session, db, Photo(visit_id=visit_id), prepared, pose, scope, source_name)
        changes = note(session, Changes.of_patients(visit.patient_id))
        return replace(_record(photo, visit.patient_id), changes=changes)


EVENT_POSE = "close-up"


def add_event_photo(
    db: Database,
    event_id: int,
    data: bytes,
    scope: PhotoScope = PhotoScope.CLINICAL,
    source_name: str = "",
    pose: str = EVENT_POSE,
) -> PhotoRecord:
    """Keep one photo of an adverse event: the complication as it was seen, kept with the
    event (the visit it followed may be signed by then)."""
    pose, source_name, prepared = _taken_in(data, pose, source_name)
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        event = session.get(AdverseEvent, event_id)
        if event is None:
            raise NotFoundError(f"no adverse event {event_id} (see: aliquot events)")
        photo = _stored(session, db, Photo(adverse_event_id=event_id), prepared, pose, scope, source_name)
        changes = note(session, Changes.of_patients(event.patient_id))
        return replace(_record(photo, event.patient_id), changes=changes)


def add_event_photo_files(
    db: Database, event_id: int, paths: list[Path]
) -> tuple[list[PhotoRecord], list[str]]:
    """Several files as photos of an event, each whole or not at all: those kept, and what
    was refused of the others (the window adds what it can and names the rest)."""
    added, refused = [], []
    for path in paths:
        try:
            added.append(add_event_photo(db, event_id, read_photo_file(path), source_name=path.name))
        except AliquotError as error:
            refused.append(f"{path.name}: {error}")
    return added, refused


def _taken_in(data: bytes, pose: str, source_name: str) -> tuple[str, str, PreparedPhoto]:
    """The pose and file name checked, the image prepared: all before any transaction."""
    pose = check_pose(pose)
    source_name = Path(source_name).name[:255]
    check_text(source_name, "photo", "file name")
    return pose, source_name, prepare_photo(data, source_name or "the file")


def _stored(
    session: Session,
    db: Database,
    photo: Photo,
    prepared: PreparedPhoto,
    pose: str,
    scope: PhotoScope,
    source_name: str,
) -> Photo:
    """A new photo row (of a visit or an event) with its image and its audit event."""
    photo.pose = pose
    photo.scope = scope
    photo.taken_at = prepared.taken_at
    photo.width, photo.height = prepared.width, prepared.height
    photo.media_type = prepared.media_type
    photo.byte_size = len(prepared.data)
    photo.sha256 = prepared.sha256
    photo.source_name = source_name
    photo.thumbnail = prepared.thumbnail
    session.add(photo)
    session.flush()
    session.add(PhotoImage(photo_id=photo.id, data=prepared.data))
    of_event = photo.adverse_event_id is not None
    record_event(
        session,
        db.actor,
        "add-photo",
        "adverse-event" if of_event else "visit",
        photo.adverse_event_id if of_event else photo.visit_id,
        photo=photo.id,
        pose=pose,
        scope=scope.value,
        sha256=prepared.sha256,
        file=source_name,
    )
    session.flush()
    return photo


def _record(photo: Photo, patient_id: int) -> PhotoRecord:
    return PhotoRecord(
        photo.id,
        photo.visit_id,
        patient_id,
        photo.pose,
        photo.scope,
        photo.taken_at,
        photo.added_at,
        photo.width,
        photo.height,
        photo.media_type,
        photo.byte_size,
        photo.sha256,
        photo.adverse_event_id,
    )


def list_photos(db: Database, chart_number: str) -> list[PhotoRecord]:
    """A patient's photos, visit by visit in time order (no image is read)."""
    from app.services.patients import find_by_chart

    with db.audited_read() as session:
        patient = find_by_chart(session, chart_number)
        if patient is None:
            raise NotFoundError(f"no patient with chart number {chart_number}")
        photos = session.scalars(
            select(Photo)
            .join(Visit, Visit.id == Photo.visit_id)
            .where(Visit.patient_id == patient.id)
            .order_by(Visit.started_at, Photo.id)
        ).all()
        record_event(session, db.actor, "view", "photos", None, patient_id=patient.id, count=len(photos))
        return [_record(photo, patient.id) for photo in photos]


def photo_image(db: Database, photo_id: int, purpose: str = "view") -> tuple[PhotoRecord, bytes]:
    """A photo's stored image, checked against its SHA-256, the access audited."""
    with db.audited_read() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFoundError(f"no photo with id {photo_id} (see: aliquot photos list CHART)")
        image = session.get_one(PhotoImage, photo_id).data
        if hashlib.sha256(image).hexdigest() != photo.sha256:
            raise ValidationError(
                f"photo {photo_id} does not match its SHA-256: it was changed in the database"
            )
        patient_id = _patient_of(session, photo)
        record_event(
            session, db.actor, purpose, "photo", photo_id, patient_id=patient_id, visit_id=photo.visit_id
        )
        return _record(photo, patient_id), image


def _patient_of(session: Session, photo: Photo) -> int:
    if photo.visit_id is not None:
        return session.get_one(Visit, photo.visit_id).patient_id
    return session.get_one(AdverseEvent, photo.adverse_event_id).patient_id


def event_photos(db: Database, event_id: int) -> list[PhotoRecord]:
    """An adverse event's photos in the order they were added (no image is read)."""
    with db.factory() as session:
        event = session.get(AdverseEvent, event_id)
        if event is None:
            raise NotFoundError(f"no adverse event {event_id} (see: aliquot events)")
        rows = session.scalars(
            select(Photo).where(Photo.adverse_event_id == event_id).order_by(Photo.id)
        ).all()
        return [_record(photo, event.patient_id) for photo in rows]


def export_photo(db: Database, photo_id: int, path: Path, replace: bool = False) -> Path:
    """`aliquot photos export`: the stored image, written whole or not at all."""
    from app.storage.files import check_output_file, write_atomically_bytes

    check_output_file(path, replace=replace)
    _record_of, image = photo_image(db, photo_id, "export")
    return write_atomically_bytes(path, image, replace=replace)


def check_photos(db: Database) -> list[str]:
    """`aliquot db check`: every stored image against its SHA-256 (one at a time)."""
    problems = []
    with db.factory() as session:
        ids = session.scalars(select(Photo.id).order_by(Photo.id)).all()
        for photo_id in ids:
            stored = session.execute(
                select(Photo.sha256, PhotoImage.data)
                .join(PhotoImage, PhotoImage.photo_id == Photo.id)
                .where(Photo.id == photo_id)
            ).first()
            if stored is None:
                problems.append(f"photo {photo_id} has no stored image")
            elif hashlib.sha256(stored.data).hexdigest() != stored.sha256:
                problems.append(f"photo {photo_id} does not match its SHA-256 (changed in the database)")
    return problems


def visit_photos(db: Database, visit_id: int) -> list[PhotoRecord]:
    """A visit's photos in the order they were added (no image is read)."""
    with db.factory() as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise NotFoundError(f"no visit with id {visit_id}")
        rows = session.scalars(select(Photo).where(Photo.visit_id == visit_id).order_by(Photo.id)).all()
        return [_record(photo, visit.patient_id) for photo in rows]


def thumbnails(db: Database, photo_ids: list[int]) -> dict[int, bytes]:
    """The thumbnails of these photos (the strip asks for those coming into view)."""
    if not photo_ids:
        return {}
    with db.factory() as session:
        rows = session.execute(select(Photo.id, Photo.thumbnail).where(Photo.id.in_(photo_ids)))
        return {photo_id: image for photo_id, image in rows}


def previous_of_pose(db: Database, photo_id: int) -> PhotoRecord | None:
    """The same pose at the patient's latest earlier visit: what a new photo is compared with."""
    with db.factory() as session:
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFoundError(f"no photo with id {photo_id}")
        if photo.visit_id is None:  # an adverse event's photo: compared with no visit's
            return None
        visit = session.get_one(Visit, photo.visit_id)
        earlier = session.scalar(
            select(Photo)
            .join(Visit, Visit.id == Photo.visit_id)
            .where(
                Visit.patient_id == visit.patient_id,
                Photo.pose == photo.pose,
                Visit.started_at < visit.started_at,
            )
            .order_by(Visit.started_at.desc(), Photo.id.desc())
            .limit(1)
        )
        return _record(earlier, visit.patient_id) if earlier is not None else None


@dataclass(frozen=True)
class PlacedLandmarks:
    photo_id: int
    points: dict[str, tuple[float, float]]  # landmark key -> (x, y) in the stored image's pixels
    iris_diameter_px: float | None
    placed_by: str


def save_landmarks(
    db: Database, photo_id: int, points: dict[str, tuple[float, float]], iris_diameter_px: float | None
) -> PlacedLandmarks:
    """Keep the landmarks placed on a photo (replacing those placed before, with the change
    in the audit trail). Every point must be a known landmark on the image
    (models/landmarks.py)."""
    import json
    import math

    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        photo = session.get(Photo, photo_id)
        if photo is None:
            raise NotFoundError(f"no photo with id {photo_id}")
        checked = Landmarks.of(points, photo.width, photo.height)
        clean = {key.value: point for key, point in checked.items()}
        if iris_diameter_px is not None and not (
            math.isfinite(iris_diameter_px) and 0 < iris_diameter_px < max(photo.width, photo.height)
        ):
            raise ValidationError(f"an iris of {iris_diameter_px} pixels is not on this photo", "landmarks")
        stored = session.get(PhotoLandmarks, photo_id)
        text = json.dumps({k: list(v) for k, v in sorted(clean.items())})
        if stored is None:
            session.add(
                PhotoLandmarks(
                    photo_id=photo_id, points=text, iris_diameter_px=iris_diameter_px, placed_by=db.actor
                )
            )
        else:
            stored.points, stored.iris_diameter_px, stored.placed_by = text, iris_diameter_px, db.actor
        record_event(
            session,
            db.actor,
            "landmarks",
            "photo",
            photo_id,
            patient_id=_patient_of(session, photo),
            visit_id=photo.visit_id,
            count=len(clean),
        )
        return PlacedLandmarks(photo_id, clean, iris_diameter_px, db.actor)


def load_landmarks(db: Database, photo_id: int) -> PlacedLandmarks | None:
    import json

    with db.factory() as session:
        stored = session.get(PhotoLandmarks, photo_id)
        if stored is None:
            return None
        points = {k: (float(v[0]), float(v[1])) for k, v in json.loads(stored.points).items()}
        return PlacedLandmarks(photo_id, points, stored.iris_diameter_px, stored.placed_by)
