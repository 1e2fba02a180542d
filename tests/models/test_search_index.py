"""The patient search index (migration 0008): built on upgrade, gone on downgrade, kept in
step with the patient table by its triggers, and never changing what a search finds."""

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from app.services.patients import search_key, search_patients
from app.storage.database import Database
from models import database as schema
from models import search_index
from models.records import PatientRecord
from models.tables import Patient
from models.text import fold
from tests.conftest import sqlite_url


def index_matches(engine, word: str) -> list[int]:
    """The patients the index lists under every trigram of the word."""
    pieces = search_index.trigrams(word)
    with engine.connect() as connection:
        found = [
            set(
                connection.exec_driver_sql(
                    f"SELECT patient_id FROM {search_index.TRIGRAM_TABLE} WHERE trigram = ?", (piece,)
                ).scalars()
            )
            for piece in pieces
        ]
    return sorted(set.intersection(*found))


def index_is_whole(engine) -> None:
    """The index holds exactly the trigrams of every patient's key, with the key."""
    with engine.connect() as connection:
        stored = set(
            connection.exec_driver_sql(
                f"SELECT trigram, search_key, patient_id FROM {search_index.TRIGRAM_TABLE}"
            ).all()
        )
        expected = {
            (piece, key, id_)
            for id_, key in connection.exec_driver_sql("SELECT id, search_key FROM patient")
            for piece in search_index.trigrams(key)
        }
    assert stored == expected


def sqlite_objects(engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE 'patient_search%'"
            ).scalars()
        )


def add_patient(connection, id_: int, family: str, given: str = "Ana", archived: bool = False) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    connection.execute(
        insert(Patient).values(
            id=id_,
            chart_number=f"C-{id_}",
            chart_key=f"c-{id_}",
            given_name=given,
            family_name=family,
            search_key=fold(f"{family} {given} C-{id_}")[:400],
            archived=archived,
            created_at=now,
            updated_at=now,
        )
    )


def test_0008_indexes_the_patients_already_there_and_downgrades_cleanly(tmp_path):
    engine = schema.make_engine(sqlite_url(tmp_path / "index.db"))
    schema.upgrade(engine, "0007")
    with engine.begin() as connection:
        add_patient(connection, 1, "Núñez", "Zoë")
        add_patient(connection, 2, "García")
    assert sqlite_objects(engine) == set()
    schema.upgrade(engine, "0008")
    assert set(search_index.TRIGGERS) <= sqlite_objects(engine)
    assert index_matches(engine, "nunez") == [1] and index_matches(engine, "garc") == [2]
    schema.downgrade(engine, "0007")
    assert sqlite_objects(engine) == set()
    with engine.begin() as connection:  # no trigger left behind to write to a missing table
        add_patient(connection, 3, "Lindqvist")
    schema.upgrade(engine, "0008")
    assert index_matches(engine, "lindq") == [3]
    engine.dispose()


def test_the_triggers_follow_inserts_updates_and_deletes(db: Database):
    with db.engine.begin() as connection:
        add_patient(connection, 10, "Ångström")
        add_patient(connection, 11, "Okafor")
    assert index_matches(db.engine, "angst") == [10]
    with db.engine.begin() as connection:
        connection.execute(update(Patient).where(Patient.id == 10).values(search_key="berg ana c-10"))
    assert index_matches(db.engine, "angst") == [] and index_matches(db.engine, "berg") == [10]
    with db.engine.begin() as connection:
        connection.execute(delete(Patient).where(Patient.id == 11))
    assert index_matches(db.engine, "okafor") == []
    index_is_whole(db.engine)


def test_a_rebuilt_patient_table_gets_its_triggers_and_index_back(db: Database):
    """Alembic's batch mode copies a table and drops the original, triggers included."""
    with db.engine.begin() as connection:
        add_patient(connection, 20, "Haddad")
        for name in search_index.TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        add_patient(connection, 21, "Cohen")  # not indexed: no trigger
    assert index_matches(db.engine, "cohen") == []
    with db.engine.begin() as connection:
        search_index.ensure_sqlite_triggers(connection)
    assert index_matches(db.engine, "cohen") == [21] and index_matches(db.engine, "hadda") == [20]
    with db.engine.begin() as connection:
        add_patient(connection, 22, "Tanaka")
    assert index_matches(db.engine, "tanak") == [22]
    index_is_whole(db.engine)


def test_the_head_revision_read_from_the_scripts_is_alembics():
    scripts = schema.script_directory()
    assert schema.head_revision() == scripts.get_current_head()
    assert schema.script_revisions() == {s.revision: s.down_revision for s in scripts.walk_revisions()}
    assert schema.is_known_revision("0008") and not schema.is_known_revision("0999")


def scan(db: Database, text: str, include_archived: bool = False, limit: int = 200) -> list[PatientRecord]:
    """Today's search without the index: a LIKE scan of patient.search_key."""
    query = select(Patient)
    for word in fold(text).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Patient.search_key.like(f"%{escaped}%", escape="\\"))
    if not include_archived:
        query = query.where(Patient.archived.is_(False))
    query = query.order_by(Patient.search_key, Patient.id).limit(limit)
    with db.factory() as session:
        return [
            PatientRecord(*(getattr(p, f) for f in PatientRecord.__dataclass_fields__))
            for p in session.scalars(query)
        ]


LETTERS = st.sampled_from(
    list("aAbcdeéÉèñÑoöøßuüzZ%_\\\" '-.")
    + list("李王张小龙明ひらがなカタ")  # CJK
    + list("محمدعليفاطمة")  # Arabic
    + list("דודשרהכהן")  # Hebrew
    + ["e\u0301", "ﬁ", "İ", "Σ", "ς", "ℌ", "Ａ"]  # a combining accent, a ligature, special folds
)
NAMES = st.lists(LETTERS, min_size=1, max_size=12).map("".join).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(st.tuples(NAMES, NAMES, st.booleans()), min_size=1, max_size=25),
    typed=st.lists(st.one_of(NAMES, st.sampled_from(["gar", "%_", "a_b", "\\%", '"x"'])), max_size=3),
    pick=st.integers(min_value=0, max_value=10_000),
)
@example(names=[("García", "Ana", False), ("Garcia", "Zoë", True)], typed=["garc"], pick=0)
@example(names=[("李", "小龙", False)], typed=["李 小龙"], pick=0)
@example(names=[("ℌarris", "Ana", False)], typed=["harr"], pick=0)  # folds to an upper-case H
def test_the_indexed_search_finds_what_the_scan_finds(db: Database, names, typed, pick):
    with db.engine.begin() as connection:
        connection.execute(delete(Patient))
        for n, (family, given, archived) in enumerate(names, start=100):
            add_patient(connection, n, family, given, archived)
    # also a piece of a stored name, cut anywhere (the usual case: typing a name)
    family, given, _ = names[pick % len(names)]
    key = search_key(type("Draft", (), {"family_name": family, "given_name": given, "chart_number": "C"})())
    cut = pick % max(1, len(key))
    queries = [" ".join(typed), key[cut : cut + 3 + pick % 5], key.upper(), family, f"{given} {family}"]
    for text in queries:
        for archived in (False, True):
            assert search_patients(db, text, include_archived=archived) == scan(db, text, archived), text
        assert search_patients(db, text, limit=2) == scan(db, text, limit=2), text


def test_words_shorter_than_a_trigram_are_still_found(db: Database):
    with db.engine.begin() as connection:
        add_patient(connection, 30, "Li", "Wu")
    assert [p.id for p in search_patients(db, "li wu")] == [30]
    assert [p.id for p in search_patients(db, "wu c-30")] == [30]


@pytest.mark.parametrize("text", ["", "ana", "1990-01-01 ana"])
def test_search_without_the_index_still_works(db: Database, text):
    """A database whose index was dropped (or never built) is scanned, as before 0008."""
    with db.engine.begin() as connection:
        add_patient(connection, 40, "Anand")
        search_index.drop(connection)
    assert (
        search_patients(db, text) == scan(db, text) if "1990" not in text else search_patients(db, text) == []
    )
