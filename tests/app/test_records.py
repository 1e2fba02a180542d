"""Visit records as PDF: text read back with pypdf, pages rendered with pypdfium2."""

import copy
import io
import itertools
import math
import re
import unicodedata
from datetime import date
from decimal import Decimal

import pypdf
import pypdfium2

from app.exports.interchange import import_document
from app.exports.records import visit_record_pdf
from app.services.settings import ClinicProfile, save_clinic_profile
from app.services.visits import create_visit, list_visits, replace_points
from tests.app.test_interchange import SPEC_EXAMPLE, rich_document
from tests.conftest import at, botox_point

ARABIC_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufefe]+")  # Arabic letters as drawn, joined


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (table cells wrap long words onto new lines).
    pypdf gives right-to-left runs back in reading order; Arabic's joined letter forms are read
    as the letters they are (NFKC), as a reader's copy and paste gives them."""
    return [
        ARABIC_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m[0]), " ".join(page.extract_text().split()))
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
    ]


def test_record_holds_every_point_lot_total_and_the_unicode_name(db):
    save_clinic_profile(
        db, ClinicProfile(name="Clínica Aurora", address="1 Harbour Row", phone="+44 20 7946 0000")
    )
    import_document(db, rich_document(), "zoe.json")
    draft = list_visits(db, "A-0001")[1]  # v2 is a draft with Dysport and Voluma
    pages = text_of(visit_record_pdf(db, draft.id))
    text = "\n".join(pages)
    assert "Zoë Ångström-Núñez" in text and "Clínica Aurora" in text
    assert all("DRAFT – not signed" in page for page in pages)
    for expected in (
        "Crow's feet (lateral canthal), left",
        "Dysport",
        "D-77 (2027-01-31)",
        "30 U",
        "Cheek (zygoma/malar), left",
        "Juvéderm Voluma XC",
        "0.1 mL",
        "NOT RECORDED",
        "left brow higher at rest",
        "Aftercare",
        "page 1 of",
    ):
        assert expected in text, expected


def test_a_signed_record_has_no_draft_mark(db):
    import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    [signed] = list_visits(db, "A-0001")
    text = "\n".join(text_of(visit_record_pdf(db, signed.id)))
    assert "DRAFT" not in text and "C1234 (2026-12-31)" in text and "Status: signed" in text


def test_a_sixty_point_visit_paginates_with_repeated_headers(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    point = document["visits"][0]["points"][0]
    document["visits"][0]["points"] = [
        dict(
            point,
            amount="1",
            x=0.3 + (i % 10) * 0.04,
            y=0.5,
            region="cheek_l" if i % 2 else "cheek_r",
            lot={"number": f"L{i:03d}", "expiry": "2026-12-31"},
        )
        for i in range(60)
    ]
    import_document(db, document, "busy.json")
    pdf = visit_record_pdf(db, list_visits(db, "A-0001")[0].id)
    pages = text_of(pdf)
    assert len(pages) >= 2
    header_pages = [page for page in pages if "Lot (expiry)" in page]
    assert len(header_pages) >= 2, "the table header repeats on every page it continues on"
    assert all(f"L{i:03d}" in "\n".join(pages) for i in range(60))
    assert f"page {len(pages)} of {len(pages)}" in pages[-1]


def test_the_first_page_is_drawn(db):
    import_document(db, rich_document(), "zoe.json")
    pdf = visit_record_pdf(db, list_visits(db, "A-0001")[1].id)
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=0.5).to_pil().convert("L")
    dark = sum(count for count, value in image.getcolors(256) if value < 200)
    assert dark > 5000, "text, tables and the face map are on the page"


def test_cli_pdf_visit(db_path, db, tmp_path):
    from tests.app.test_cli import aliquot, assert_one_line_refusal

    import_document(db, rich_document(), "zoe.json")
    visit_id = list_visits(db, "A-0001")[0].id
    db.close()
    out = tmp_path / "record.pdf"
    aliquot("pdf", "visit", visit_id, "-o", out, db=db_path)
    assert "Zoë Ångström-Núñez" in text_of(out.read_bytes())[0]
    assert_one_line_refusal(
        aliquot("pdf", "visit", 424242, "-o", tmp_path / "none.pdf", db=db_path, check=False),
        "no visit with id 424242",
    )
    assert "name: Clínica" in aliquot("clinic", "--name", "Clínica Aurora", db=db_path).stdout


def test_chinese_names_print_as_text(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(chart_number="C-88", given_name="小龙", family_name="李")
    import_document(db, document, "li.json")
    pdf = visit_record_pdf(db, list_visits(db, "C-88")[0].id)
    assert "小龙 李" in text_of(pdf)[0]
    assert b"DroidSansFallback" in pdf  # drawn with the fallback font, not as empty boxes


def test_history_lists_every_visit_and_doses_per_area(db):
    from app.exports.records import history_pdf

    import_document(db, rich_document(), "zoe.json")
    text = " ".join(text_of(history_pdf(db, "A-0001")))
    assert "Treatment history" in text and "Zoë Ångström-Núñez" in text and "2 visits" in text
    assert text.index("2025-01-10") < text.index("2025-04-22")
    for expected in (
        "Glabella (frown lines)",
        "Crow's feet",
        "4 U Botox Cosmetic",
        "30 U Dysport",
        "0.1 mL Juvéderm Voluma XC",
        "DRAFT – not signed",
    ):
        assert expected in text, expected


def test_cli_pdf_history(db_path, db, tmp_path):
    from tests.app.test_cli import aliquot

    import_document(db, rich_document(), "zoe.json")
    db.close()
    out = tmp_path / "history.pdf"
    aliquot("pdf", "history", "A-0001", "-o", out, db=db_path)
    assert "Treatment history" in text_of(out.read_bytes())[0]


def test_clinic_logo_and_aftercare_from_settings(db, tmp_path):
    import pytest
    from PIL import Image

    from app.exports.records import logo_from_file
    from app.services.settings import load_clinic_profile
    from models.errors import ValidationError

    picture = tmp_path / "logo.png"
    Image.new("RGB", (1200, 300), "#1565c0").save(picture)
    save_clinic_profile(
        db,
        ClinicProfile(
            name="Clínica Aurora",
            aftercare="Rest today; call us with any worry.",
            logo_png=logo_from_file(picture),
        ),
    )
    import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    pdf = visit_record_pdf(db, list_visits(db, "A-0001")[0].id)
    assert "Rest today; call us with any worry." in " ".join(text_of(pdf))
    page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 1  # the logo
    assert load_clinic_profile(db).name == "Clínica Aurora"
    (tmp_path / "not-an-image.png").write_text("hello")
    with pytest.raises(ValidationError, match="not an image file"):
        logo_from_file(tmp_path / "not-an-image.png")


def test_the_record_counts_the_vials_of_each_lot_s_size(db, patient, provider):
    """40 U from a 50 U lot uses 0.8 of that vial; 40 U from a 100 U lot, 0.4 of one."""
    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("procerus", "40", lot_number="S50", lot_package_size=Decimal(50))],
    )
    text = "\n".join(text_of(visit_record_pdf(db, visit.id)))
    assert "Uses" in text and "0.8 of a 50 U vial" in text
    other = create_visit(db, patient.id, provider.id, at(2025, 4, 20))
    replace_points(
        db,
        other.id,
        other.version,
        [botox_point("procerus", "40", lot_number="S100", lot_package_size=Decimal(100))],
    )
    assert "0.4 of a 100 U vial" in "\n".join(text_of(visit_record_pdf(db, other.id)))


def test_a_very_long_site_note_prints_whole_across_pages(db, patient, provider):
    """A site note of thousands of characters (a pasted letter) once stopped the record with
    a layout error: a table row taller than a page. A long note is printed in full below the
    sites table, across the page, and flows on to the next."""
    words = " ".join(f"note{n:04d}" for n in range(400))  # about 3,600 characters
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    replace_points(db, visit.id, visit.version, [botox_point(notes=words), botox_point("chin")])
    pages = text_of(visit_record_pdf(db, visit.id))
    text = " ".join(pages)
    assert len(pages) >= 2
    assert "see site note 1" in text and "Site notes" in text
    assert "note0000" in text and "note0399" in text
    assert all(f"note{n:04d}" in text for n in range(0, 400, 37))


def test_an_empty_visit_says_there_were_no_injections(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    text = " ".join(text_of(visit_record_pdf(db, visit.id)))
    assert "No injections were recorded at this visit." in text
    assert "Region Product Lot" not in text  # no empty sites table


def test_the_record_says_who_made_it_and_for_whom_in_its_metadata(db, patient, provider):
    from app.storage.config import app_version

    save_clinic_profile(db, ClinicProfile(name="Clínica Aurora"))
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    replace_points(db, visit.id, visit.version, [botox_point()])
    info = pypdf.PdfReader(io.BytesIO(visit_record_pdf(db, visit.id))).metadata
    assert info.author == "Clínica Aurora"
    assert info.creator == f"Aliquot {app_version()}"
    assert info.subject == f"Treatment record, chart {patient.chart_number}, visit of 2026-01-05"


def test_every_page_names_the_patient_with_birth_date_and_a_long_name_never_covers_the_page_number(
    db, provider
):
    from app.services.patients import create_patient
    from models.records import PatientDraft

    long_family = ("Wolfeschlegelsteinhausenbergerdorff-" * 3)[:-1]  # 107 characters
    patient = create_patient(
        db, PatientDraft("A-0042", "Adelheid Maria Josephine", long_family, date_of_birth=date(1980, 2, 29))
    )
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    replace_points(db, visit.id, visit.version, [botox_point()])
    pdf = visit_record_pdf(db, visit.id)
    [page] = pypdf.PdfReader(io.BytesIO(pdf)).pages
    footer: list[tuple[float, str]] = []
    page.extract_text(
        visitor_text=lambda text, _cm, tm, *_: (
            footer.append((tm[4], text)) if text.strip() and tm[5] < 40 else None
        )
    )
    text = " ".join(t for _x, t in footer)
    assert "page 1 of 1" in text and "…" in text  # the name shortened, the page number kept
    assert "· born 1980-02-29 · chart A-0042 · visit 2026-01-05" in text  # never shortened
    short = create_patient(db, PatientDraft("A-0043", "Ana", "Costa", date_of_birth=date(1980, 2, 29)))
    other = create_visit(db, short.id, provider.id, at(2026, 1, 6, 10))
    replace_points(db, other.id, other.version, [botox_point()])
    assert "Costa, Ana · born 1980-02-29 · chart A-0043 · visit 2026-01-06" in " ".join(
        text_of(visit_record_pdf(db, other.id))
    )


def test_the_longest_depth_word_is_never_broken_in_the_sites_table(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    filler = botox_point(
        "chin", product_name="Radiesse", amount="0.3", unit="mL", lot_number="R9", depth="supraperiosteal"
    )
    replace_points(db, visit.id, visit.version, [filler])
    words = " ".join(text_of(visit_record_pdf(db, visit.id))).split()
    assert "supraperiosteal" in words


def test_a_character_no_bundled_font_has_is_drawn_as_a_visible_mark(db, patient, provider):
    """An emoji in a note once vanished from the printout without a trace."""
    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    replace_points(db, visit.id, visit.version, [botox_point(notes="patient happy 😀 with result")])
    text = " ".join(text_of(visit_record_pdf(db, visit.id)))
    assert "patient happy \ufffd with result" in text


# Patients' names in every script the records must print: each is read back as text.
NAMES = {
    "latin": ("Zoë", "Núñez-Ölçer"),
    "chinese": ("秀英", "王"),
    "japanese": ("花子", "山田"),
    "korean": ("민준", "김"),
    "arabic": ("ليلى", "حداد"),
    "hebrew": ("שרה", "לוי"),
}


def named_patient_visit(db, provider, script: str, number: int = 1):
    """A patient named in `script`, with one visit of two points."""
    from app.services.patients import create_patient
    from models.records import PatientDraft

    given, family = NAMES[script]
    patient = create_patient(db, PatientDraft(f"N-{number:04d}", given, family, date(1990, 6, 1)))
    visit = create_visit(db, patient.id, provider.id, at(2026, 2, 3, 10))
    replace_points(db, visit.id, visit.version, [botox_point(), botox_point("chin", lot_number="M-5")])
    return patient, visit


def test_names_in_every_script_print_as_their_own_characters(db, provider):
    """Hangul once printed as replacement marks: no bundled font had it."""
    from app.exports.records import history_pdf

    for number, script in enumerate(NAMES, start=1):
        patient, visit = named_patient_visit(db, provider, script, number)
        given, family = NAMES[script]
        for pdf in (visit_record_pdf(db, visit.id), history_pdf(db, patient.chart_number)):
            text = " ".join(text_of(pdf))
            assert f"{given} {family}" in text, script  # the record's heading
            # every page's footer (text extraction puts a space where the font changes)
            assert f"{family},{given}·born1990-06-01" in "".join(text.split()), script
            assert "\ufffd" not in text, script


def drawn_lines(pdf: bytes, page: int = 0) -> list[str]:
    """A page's characters as they stand on it, each line left to right, whatever order a
    text extractor would read them in."""
    text = pypdfium2.PdfDocument(pdf)[page].get_textpage()
    placed: dict[int, list[tuple[float, float, str]]] = {}
    for i in range(text.count_chars()):
        char = text.get_text_range(i, 1)
        left, bottom, right, _top = text.get_charbox(i, loose=True)
        if char.strip() and right > left:
            placed.setdefault(round(bottom), []).append((left, right, char))
    lines = []
    for _bottom, chars in sorted(placed.items(), reverse=True):
        chars.sort()
        line = chars[0][2]
        for (_, end, _), (start, _, char) in itertools.pairwise(chars):
            line += (" " if start - end > 1 else "") + char  # a gap is a space
        lines.append(line)
    return lines


def test_hebrew_reads_right_to_left_and_arabic_letters_join(db, provider):
    """Hebrew once printed reversed and Arabic as unjoined letters."""
    from app.services.providers import create_provider

    injector = create_provider(db, "Dr. שרה לוי", "MD")
    patient, _visit = named_patient_visit(db, provider, "arabic")
    visit = create_visit(db, patient.id, injector.id, at(2026, 3, 3, 10))
    replace_points(db, visit.id, visit.version, [botox_point()])
    pdf = visit_record_pdf(db, visit.id)
    raw = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # ليلى drawn joined: initial lam, medial yeh, medial lam, final alef maksura
    assert "\ufedf\ufef4\ufee0\ufef0" in raw
    assert "ليلى" not in raw  # never the isolated letters
    # The mixed line keeps its Latin order; the Hebrew run stands reversed, to be read from the right.
    assert any("Injector: Dr. יול הרש MD" in line for line in drawn_lines(pdf)), drawn_lines(pdf)


def fonts_of(pdf: bytes) -> dict[str, set[str]]:
    """Every font the PDF uses (pages and the forms they show), with the font-file entries of
    its descriptor: /FontFile2 or /FontFile3 when the font is embedded."""
    found: dict[str, set[str]] = {}

    def walk(resources, seen: set[int]) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            for descendant in font.get("/DescendantFonts") or []:
                descriptor = descendant.get_object().get("/FontDescriptor")
            keys = set(descriptor.get_object()) if descriptor is not None else set()
            found[str(font["/BaseFont"])] = keys & {"/FontFile", "/FontFile2", "/FontFile3"}
        for form in (resources.get("/XObject") or {}).values():
            form = form.get_object()
            if id(form) not in seen:
                seen.add(id(form))
                walk(form.get("/Resources"), seen)

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        walk(page.get("/Resources"), set())
    return found


def test_every_font_in_both_records_is_embedded(db, provider):
    """A reader without Helvetica (or with another one) prints the record as we drew it."""
    from app.exports.records import history_pdf

    used: set[str] = set()
    for number, script in enumerate(NAMES, start=1):
        patient, visit = named_patient_visit(db, provider, script, number)
        for pdf in (visit_record_pdf(db, visit.id), history_pdf(db, patient.chart_number)):
            fonts = fonts_of(pdf)
            assert all(files & {"/FontFile2", "/FontFile3"} for files in fonts.values()), (script, fonts)
            used |= {name.split("+")[-1] for name in fonts}
    assert used == {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback", "NanumSquareR"}


def marker_numbers(pdf: bytes) -> list[tuple[str, float, float, float]]:
    """The numbers on the face maps' markers (bold, 14 units in the drawing): each with where
    it starts on the page and the drawing's scale."""
    found: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, font, size):
        if text.strip().isdigit() and font and "Bold" in str(font.get("/BaseFont")) and size == 14:
            x, y = tm[4], tm[5]
            found.append((text.strip(), x * cm[0] + y * cm[2] + cm[4], x * cm[1] + y * cm[3] + cm[5], cm[0]))

    pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_markers_of_close_points_never_hide_one_another(db, patient, provider):
    """Four glabella points and two on the lips, a few millimetres apart: each number is seen."""
    from app.exports.records import MARKER_RADIUS

    visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10))
    glabella = [botox_point(x=0.5 + dx, y=0.37) for dx in (0, 0.004, -0.004, 0)]
    lips = [botox_point("upper_lip_r", x=0.465, y=0.66), botox_point("lower_lip_r", x=0.47, y=0.67)]
    replace_points(db, visit.id, visit.version, glabella + lips)
    markers = marker_numbers(visit_record_pdf(db, visit.id))
    assert sorted(number for number, *_ in markers) == ["1", "2", "3", "4", "5", "6"]
    for (_, x1, y1, scale), (_, x2, y2, _) in itertools.combinations(markers, 2):
        assert math.dist((x1, y1), (x2, y2)) >= 2 * MARKER_RADIUS * scale


def test_the_history_maps_show_profile_points_and_name_each_marker_s_product_and_lot(db):
    """The history once drew the front view only, and no lot numbers."""
    from app.exports.records import history_pdf

    import_document(db, rich_document(), "zoe.json")  # the second visit has a point on the left profile
    pages = text_of(history_pdf(db, "A-0001"))
    visits = " ".join(pages)[" ".join(pages).index("Visits") :]
    # Each visit's maps, then its text: the profile is drawn for the second visit only.
    assert visits.count("Left profile") == 1 and "Right profile" not in visits
    legends = [visits.index("Markers: 1 Botox Cosmetic, lot C1234"), visits.index("Left profile")]
    legends.append(visits.index("Markers: 1 Dysport, lot D-77; 2 Juvéderm Voluma XC, lot not recorded"))
    assert legends == sorted(legends)


def test_marker_legend_joins_runs_of_numbers_per_product_and_lot():
    from app.exports.records import marker_legend
    from models.records import ChartedPoint

    def point(product: str, lot: str | None) -> ChartedPoint:
        return ChartedPoint(**{**vars(botox_point()), "product_name": product, "lot_number": lot})

    numbered = [(1, point("A", "L1")), (2, point("A", "L1")), (3, point("B", None))]
    numbered += [(4, point("A", "L1")), (5, point("A", "L1")), (7, point("A", "L1"))]
    assert marker_legend(numbered) == ["1–2, 4–5, 7 A, lot L1", "3 B, lot not recorded"]


def test_the_injection_sites_heading_is_never_left_alone_at_a_page_foot(db, patient, provider):
    """A concern long enough to bring the heading to the foot of page 1 once left it there,
    its table starting on page 2. Lengthen the concern line by line until the heading moves
    over: at every length the heading is on the page of the table's first row."""
    for words in range(0, 800, 10):  # about one line of the concern at each step
        concern = " ".join(f"concern{n:03d}" for n in range(words))
        visit = create_visit(db, patient.id, provider.id, at(2026, 1, 5, 10), concern=concern)
        replace_points(db, visit.id, visit.version, [botox_point(), botox_point("chin", lot_number="M-5")])
        pages = text_of(visit_record_pdf(db, visit.id))
        heading = next(n for n, page in enumerate(pages) if "Injection sites" in page)
        first_row = next(n for n, page in enumerate(pages) if "1 Glabella" in page)
        assert heading == first_row, (
            f"{words} words: heading on page {heading + 1}, first row on {first_row + 1}"
        )
        if heading > 0:
            break
    else:
        raise AssertionError("the concern never pushed the table to page 2")


def test_pdftotext_reads_every_script_s_name_from_both_records(db, provider, tmp_path):
    """The records as a common tool reads them (poppler's pdftotext, which .ci/run
    installs): each name in its own characters, right-to-left names in reading order."""
    import os
    import re
    import shutil
    import subprocess
    import unicodedata

    import pytest

    from app.exports.records import history_pdf

    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must read the records with pdftotext: install poppler-utils (see .ci/run)")
        pytest.skip("pdftotext is not installed (Debian: poppler-utils)")
    for number, script in enumerate(NAMES, start=1):
        patient, visit = named_patient_visit(db, provider, script, number)
        given, family = NAMES[script]
        for pdf in (visit_record_pdf(db, visit.id), history_pdf(db, patient.chart_number)):
            path = tmp_path / "record.pdf"
            path.write_bytes(pdf)
            text = subprocess.run(
                ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            # Arabic is drawn in its joined forms: NFKC gives the letters back. pdftotext marks
            # right-to-left runs with bidi embedding characters, which are not text.
            plain = re.sub(
                "[\u200e\u200f\u202a-\u202e\u2066-\u2069]", " ", unicodedata.normalize("NFKC", text)
            )
            assert given in plain and family in plain, (script, text[:300])
            assert "\ufffd" not in text, script
