"""Visit records as PDF: text read back with pypdf, pages rendered with pypdfium2."""

import copy
import io
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


def text_of(pdf: bytes) -> list[str]:
    """Each page's text, whitespace collapsed (table cells wrap long words onto new lines)."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


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
