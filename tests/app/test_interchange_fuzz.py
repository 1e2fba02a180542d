"""Fuzzing `aliquot import`: a valid patient file, mutated the ways files get damaged or
forged (flipped bytes, truncation, swapped types, deleted or doubled keys, huge numbers,
odd Unicode), is either imported or refused with one line and the database unchanged.
Never a traceback."""

import json
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from app.storage.database import open_database
from tests.app.test_interchange import rich_document
from tests.conftest import ACTOR, snapshot, sqlite_url

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    -0.0,
    2**31,
    2**62,
    2**63,
    2**64,
    10**30,
    -(10**30),
    1e308,
    5e-324,
    "",
    " ",
    "x" * 2000,
    "0",
    "4",
    "1e400",
    "NaN",
    "-Infinity",
    "0x10",
    "٣",
    "\x00",
    "\t",
    "A-0001\n",
    "a-0001",
    "V1",
    "\ud800",
    "\udfff\ud800",
    "\u202eevil",
    "\u2028",
    "\ufeff",
    "İ",
    "ß",
    "ǅ",
    "🙂",
    "e\u0301",
    "李",
    "..",
    "../x",
    "A/../../etc/x",
    "C:\\x",
    "2025-01-10",
    "2025-01-10T10:00:00",
    "9999-12-31T23:59:59+23:59",
    "0001-01-01T00:00:00-23:59",
    "2100-01-01T00:00:00+00:00",
    [],
    {},
    [1],
    {"a": 1},
    [[[]]],
    {"": None},
]

scalars = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.booleans(),
    st.none(),
)


ODD_CHARACTERS = [
    "\x00",
    "\t",
    "\n",
    "\r",
    "\x1b",
    "\x7f",
    "\x85",
    "\u200b",
    "\u200d",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udc00",
    "\U0001f642",
    "\u0301",
    "/",
    "\\",
    "..",
    "İ",
    "ß",
]


def tweaked(data, value):
    """A value of the same type, changed as damage or forgery would: the checks behind
    the type check are reached."""
    if isinstance(value, str):
        odd = data.draw(st.sampled_from(ODD_CHARACTERS), label="odd character")
        at = data.draw(st.integers(0, len(value)), label="at")
        return data.draw(
            st.sampled_from(
                [
                    value[:at] + odd + value[at:],
                    value.upper(),
                    value.swapcase(),
                    value * 200,
                    value[:at],
                    f" {value} ",
                    data.draw(st.text(max_size=20), label="text"),
                ]
            ),
            label="tweaked text",
        )
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return data.draw(
            st.one_of(
                st.sampled_from(
                    [
                        0,
                        -1,
                        2**31,
                        2**62,
                        2**63,
                        2**64,
                        10**30,
                        1e308,
                        -1e308,
                        5e-324,
                        float("inf"),
                        float("nan"),
                        value * 1000,
                        -value,
                    ]
                ),
                st.integers(),
                st.floats(),
            ),
            label="tweaked number",
        )
    return data.draw(scalars, label="value")


class Pairs(list):
    """A JSON object written key by key, so that one key can appear twice."""


def encode(node, ascii_only: bool) -> str:
    """JSON text; ascii_only spells every non-ASCII character as a \\u escape, so that
    half a surrogate pair gets into the file as JSON allows it ("\\ud800")."""
    if isinstance(node, Pairs):
        return (
            "{"
            + ", ".join(f"{json.dumps(k, ensure_ascii=ascii_only)}: {encode(v, ascii_only)}" for k, v in node)
            + "}"
        )
    if isinstance(node, dict):
        return encode(Pairs(node.items()), ascii_only)
    if isinstance(node, list):
        return "[" + ", ".join(encode(v, ascii_only) for v in node) + "]"
    return json.dumps(node, ensure_ascii=ascii_only)


def paths(node, prefix=()):
    """Every place in the document, the root last (replacing it tests little)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list) and not isinstance(node, Pairs):
        for index, value in enumerate(node):
            yield from paths(value, prefix + (index,))
    yield prefix


def resolve(document, path):
    node = document
    for part in path:
        node = node[part]
    return node


def mutate_structure(data, document):
    """One change to the parsed document; returns the new root."""
    path = data.draw(st.sampled_from(list(paths(document))), label="path")
    kind = data.draw(
        st.sampled_from(["tweak"] * 6 + ["replace"] * 2 + ["delete", "double", "unknown", "recase", "wrap"]),
        label="kind",
    )
    if not path:
        return data.draw(scalars, label="root") if kind in ("tweak", "replace") else document
    parent, key = resolve(document, path[:-1]), path[-1]
    if kind == "tweak":
        parent[key] = tweaked(data, parent[key])
    elif kind == "replace":
        parent[key] = data.draw(scalars, label="value")
    elif kind == "wrap":
        parent[key] = data.draw(st.sampled_from([[parent[key]], {"value": parent[key]}]), label="wrapped")
    elif kind == "delete":
        del parent[key]
    elif isinstance(parent, dict) and kind == "double":
        items = Pairs(parent.items())
        items.insert(data.draw(st.integers(0, len(items)), label="at"), (key, data.draw(scalars)))
        holder = resolve(document, path[:-2]) if len(path) > 1 else None
        if holder is None:
            return items
        holder[path[-2]] = items
    elif isinstance(parent, dict) and kind == "unknown":
        parent[data.draw(st.text(max_size=8), label="new key")] = data.draw(scalars)
    elif isinstance(parent, dict) and kind == "recase":
        parent[str(key).upper()] = parent.pop(key)
    return document


def mutate_bytes(data, raw: bytes) -> bytes:
    kind = data.draw(st.sampled_from(["flip", "truncate", "insert", "cut"]), label="byte change")
    at = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="offset")
    if kind == "flip" and raw:
        return raw[:at] + bytes([raw[at] ^ (1 << data.draw(st.integers(0, 7)))]) + raw[at + 1 :]
    if kind == "truncate":
        return raw[:at]
    if kind == "insert":
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8), label="bytes") + raw[at:]
    return raw[:at] + raw[at + data.draw(st.integers(1, 40)) :]


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_mutated_patient_file_is_imported_or_refused_in_one_line(migrated_template, tmp_path, capsys, data):
    document = rich_document()
    for _ in range(data.draw(st.integers(1, 3), label="structural changes")):
        document = mutate_structure(data, document)
    # surrogatepass: a lone surrogate written raw is not UTF-8, as a forged file may be.
    raw = encode(document, data.draw(st.booleans(), label="ascii only")).encode("utf-8", "surrogatepass")
    for _ in range(data.draw(st.sampled_from([0, 0, 0, 0, 1, 2]), label="byte changes")):
        raw = mutate_bytes(data, raw)
    path = tmp_path / "mutated.json"
    path.write_bytes(raw)
    # Each example starts from an empty clinic: what one import stored would make the
    # next one a conflict and hide the checks behind it.
    db_path = tmp_path / "clinic.db"
    shutil.copyfile(migrated_template, db_path)
    for stale in tmp_path.glob("clinic.db-*"):
        stale.unlink()
    db = open_database(sqlite_url(db_path), ACTOR)
    try:
        before = snapshot(db)
        capsys.readouterr()

        status = main(["--db", str(db_path), "import", str(path)])

        out, err = capsys.readouterr()
        assert "Traceback" not in err
        if status == 0:
            # one line said what was imported; the safety checks' warnings, one line each
            assert len(out.splitlines()) == 1, (out, err)
            assert all(line.startswith("warning: ") for line in err.splitlines()), err
        else:
            assert status == 1, (status, err)
            assert len(err.splitlines()) == 1 and err.startswith(f"aliquot: {path}: "), err
            assert len(err) < 1000, err
            assert snapshot(db) == before
    finally:
        db.close()
