"""The `aliquot` command: the GUI by default, and the clinic's tools on the command line.

User mistakes end with one line on stderr and a non-zero exit status, never a traceback:
1 for a refused action (bad data, unknown patient, database trouble), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard

from app.storage import config
from models.errors import AliquotError, NotFoundError, SignInRequired

if TYPE_CHECKING:  # what the commands use is imported inside them: `--help` starts at once
    from decimal import Decimal

    from sqlalchemy.engine import URL
    from sqlalchemy.exc import DBAPIError

    from app.storage.database import Database
    from models.records import ProductTotal

EXIT_REFUSED = 1
EXIT_USAGE = 2
PASSWORD_ENV_VAR = "ALIQUOT_PASSWORD"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see: aliquot --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="aliquot", description="Charting for aesthetic injectors.")
    parser.add_argument(
        "--db",
        metavar="PATH_OR_URL",
        help=f"clinic database: a file path or an SQLAlchemy URL"
        f" (default: ${config.DB_ENV_VAR}, else {config.default_database_path()})",
    )
    parser.add_argument(
        "--version", action=_VersionAction, nargs=0, help="show program's version number and exit"
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help=f"act as this user (needed to change records once the clinic has user accounts);"
        f" the password is read from ${PASSWORD_ENV_VAR}, else asked on the terminal",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = commands.add_parser("demo", help="fill an empty database with a synthetic clinic")
    demo.add_argument("--patients", type=_positive_int, default=200, metavar="N")
    demo.add_argument("--seed", type=int, default=1, metavar="S")
    demo.add_argument(
        "--no-users",
        action="store_true",
        help="no demo accounts: the clinic works without signing in (default: demo users, said at sign-in)",
    )
    demo.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the synthetic history ends (default: today)",
    )

    patients = commands.add_parser("patients", help="list or search patients")
    patients.add_argument(
        "--search", default="", metavar="TEXT", help="words of the name or chart number, accents ignored"
    )
    patients.add_argument("--archived", action="store_true", help="include archived patients")
    patients.add_argument("--limit", type=_positive_int, default=200, metavar="N")
    patients.add_argument("--json", action="store_true")

    visits = commands.add_parser("visits", help="a patient's visits with totals per product")
    visits.add_argument("patient", metavar="PATIENT", help="chart number")
    visits.add_argument("--json", action="store_true")

    catalogue = commands.add_parser("catalogue", help="the product catalogue")
    catalogue.add_argument("--json", action="store_true")

    guardrails = commands.add_parser(
        "guardrails", help="the safety checks: usual doses, ceilings, windows, each with its source"
    )
    guardrails.add_argument("--json", action="store_true")
    guardrails.add_argument(
        "--set",
        nargs=3,
        metavar=("RULE", "FIELD", "VALUE"),
        help="change a clinic-setting rule, e.g. --set toxin-4u-upper_lip per_site 1-6",
    )
    guardrails.add_argument("--reset", nargs=2, metavar=("RULE", "FIELD"), help="back to the bundled value")

    importer = commands.add_parser("import", help="import patient files (aliquot.patient/1)")
    importer.add_argument("files", nargs="+", type=Path, metavar="FILE")

    exporter = commands.add_parser("export", help="export one patient (aliquot.patient/1)")
    exporter.add_argument("patient", metavar="PATIENT", help="chart number")
    exporter.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    _add_force(exporter)

    image = commands.add_parser("export-image", help="draw a visit's chart to a PNG file")
    image.add_argument("visit", type=_positive_int, metavar="VISIT", help="visit id (see: aliquot visits)")
    image.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    image.add_argument("--view", choices=["front", "left", "right"], default="front")
    _add_force(image)

    due = commands.add_parser("due", help="the recall list: who is due, for what, and when")
    due.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day to ask about (default: today on the clinic's clock)",
    )
    due.add_argument(
        "--within",
        type=_non_negative_int,
        default=None,
        metavar="DAYS",
        help="also list windows opening within DAYS (default: the 14-day 'due soon' lead)",
    )
    due.add_argument("--format", choices=["table", "csv", "json", "ics"], default="table")
    due.add_argument(
        "--no-names",
        action="store_true",
        help="ics: event titles name the chart number only, not the patient (a shared calendar)",
    )
    due.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    _add_force(due)

    pdf = commands.add_parser("pdf", help="treatment records as PDF")
    pdf_kinds = pdf.add_subparsers(dest="pdf_kind", metavar="KIND", required=True, parser_class=_Parser)
    pdf_visit = pdf_kinds.add_parser("visit", help="the record of one visit")
    pdf_visit.add_argument(
        "visit", type=_positive_int, metavar="VISIT", help="visit id (see: aliquot visits)"
    )
    pdf_visit.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    pdf_visit.add_argument(
        "--for",
        dest="purpose",
        choices=["clinical", "teaching", "marketing"],
        default="clinical",
        help="what the record is for: teaching or marketing carries only photos consented to for it",
    )
    pdf_history = pdf_kinds.add_parser("history", help="a patient's whole treatment history")
    pdf_history.add_argument("patient", metavar="PATIENT", help="chart number")
    pdf_history.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    for command in (pdf_visit, pdf_history):
        _add_force(command)

    clinic = commands.add_parser("clinic", help="the clinic's name, address and phone for printed records")
    clinic.add_argument("--name")
    clinic.add_argument("--address")
    clinic.add_argument("--phone")
    clinic.add_argument("--logo", type=Path, metavar="IMAGE", help="a PNG or JPEG logo for printed records")
    clinic.add_argument("--aftercare", metavar="TEXT", help="the aftercare advice printed on every record")

    injectors = commands.add_parser("injectors", help="the injectors who chart visits: list, add, change")
    injectors.add_argument("--all", action="store_true", help="include injectors taken off the list")
    injectors.add_argument("--json", action="store_true")
    injector_actions = injectors.add_subparsers(
        dest="injectors_action", metavar="ACTION", parser_class=_Parser
    )
    add_injector = injector_actions.add_parser("add", help="register an injector")
    add_injector.add_argument("name", metavar="NAME")
    edit_injector = injector_actions.add_parser(
        "edit", help="change an injector's details, or take them off the list"
    )
    edit_injector.add_argument(
        "id", type=_positive_int, metavar="ID", help="injector id (see: aliquot injectors)"
    )
    edit_injector.add_argument("--name")
    for command in (add_injector, edit_injector):
        command.add_argument("--credentials", metavar="TEXT", help="e.g. RN, NP, MD, DDS")
        command.add_argument(
            "--licence", metavar="NUMBER", help="professional licence or registration number"
        )
    listed = edit_injector.add_mutually_exclusive_group()
    listed.add_argument(
        "--inactive", action="store_true", help="no longer offered for new visits (their visits keep them)"
    )
    listed.add_argument("--active", action="store_true", help="offered for new visits again")

    clinic.add_argument(
        "--require-cosign",
        choices=["yes", "no"],
        help="an injector's signed visits wait for a prescriber's co-signature",
    )
    clinic.add_argument(
        "--idle-lock", type=_positive_int, metavar="MINUTES", help="lock the window after this long idle"
    )

    users = commands.add_parser("users", help="user accounts: list, add, disable, set a password")
    users.add_argument("--json", action="store_true")
    user_actions = users.add_subparsers(dest="users_action", metavar="ACTION", parser_class=_Parser)
    add_user = user_actions.add_parser(
        "add", help="add an account (its password from standard input, or asked twice on a terminal)"
    )
    add_user.add_argument("name", metavar="NAME")
    add_user.add_argument("--role", required=True, choices=[r.value for r in _roles()])
    add_user.add_argument(
        "--injector",
        type=_positive_int,
        metavar="ID",
        help="an injector's or prescriber's entry (aliquot injectors)",
    )
    add_user.add_argument(
        "--full-name", metavar="TEXT", help="as shown in the window (default: the injector's)"
    )
    disable_user = user_actions.add_parser("disable", help="the account can no longer sign in")
    disable_user.add_argument("name", metavar="NAME")
    password = user_actions.add_parser(
        "password", help="set an account's password (from standard input, or asked twice on a terminal)"
    )
    password.add_argument("name", metavar="NAME")

    sign = commands.add_parser("sign", help="sign and lock a complete visit (as --user)")
    sign.add_argument("visit", type=_positive_int, metavar="VISIT", help="visit id (see: aliquot visits)")
    cosign = commands.add_parser(
        "cosign", help="co-sign an injector's signed visit (a prescriber), or list them"
    )
    cosign.add_argument("visit", nargs="?", type=_positive_int, metavar="VISIT")
    cosign.add_argument("--pending", action="store_true", help="list the signed visits awaiting co-signature")
    amend = commands.add_parser(
        "amend", help="correct a signed visit: an amendment with a reason, signed (the original stays)"
    )
    amend.add_argument("visit", type=_positive_int, metavar="VISIT")
    amend.add_argument("--reason", required=True, metavar="TEXT")
    amend.add_argument(
        "file",
        type=Path,
        metavar="FILE.json",
        help="the corrected visit: an aliquot.patient/1 file with that visit",
    )

    photos = commands.add_parser("photos", help="a visit's clinical photos: add, list, export")
    photo_actions = photos.add_subparsers(
        dest="photos_action", metavar="ACTION", required=True, parser_class=_Parser
    )
    add_photos = photo_actions.add_parser("add", help="add photo files to a visit (JPEG, PNG, TIFF, HEIC)")
    add_photos.add_argument("visit", type=_positive_int, metavar="VISIT")
    add_photos.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add_photos.add_argument("--pose", required=True, metavar="POSE", help="rest, smile, frown, brow-raise, …")
    _scope_argument(add_photos)
    list_photos = photo_actions.add_parser("list", help="a patient's photos")
    list_photos.add_argument("patient", metavar="CHART")
    list_photos.add_argument("--json", action="store_true")
    measure = photo_actions.add_parser(
        "measure", help="asymmetry in mm on a patient's photos (those with landmarks placed)"
    )
    measure.add_argument("patient", metavar="CHART")
    measure.add_argument("--json", action="store_true")
    export_photo = photo_actions.add_parser("export", help="write a photo's stored image to a file")
    export_photo.add_argument("photo", type=_positive_int, metavar="PHOTO")
    export_photo.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    _add_force(export_photo)

    stock = commands.add_parser("stock", help="stock on hand per lot, deliveries, write-offs, barcodes")
    stock.add_argument("--json", action="store_true")
    stock_actions = stock.add_subparsers(dest="stock_action", metavar="ACTION", parser_class=_Parser)
    receive = stock_actions.add_parser("receive", help="a delivery of vials or syringes of a lot")
    receive.add_argument("product", nargs="?", metavar="PRODUCT", help="not needed with --gs1")
    receive.add_argument("--lot", metavar="LOT")
    receive.add_argument("--expiry", type=_iso_date, metavar="YYYY-MM-DD")
    receive.add_argument("--quantity", required=True, type=_positive_int, metavar="N")
    receive.add_argument(
        "--package", metavar="SIZE", help="each vial's U or syringe's mL (default: the usual size)"
    )
    receive.add_argument("--supplier", default="", metavar="TEXT")
    receive.add_argument("--gs1", metavar="SCAN", help="the box's GS1 barcode, as the scanner types it")
    waste = stock_actions.add_parser("write-off", help="stock that left other than into a patient")
    waste.add_argument("product", metavar="PRODUCT")
    waste.add_argument("--lot", required=True, metavar="LOT")
    waste.add_argument("--amount", required=True, metavar="AMOUNT")
    waste.add_argument("--reason", choices=["wasted", "expired", "broken"], default="wasted")
    waste.add_argument("--notes", default="", metavar="TEXT")
    barcode = stock_actions.add_parser("map", help="say once which product a box's GTIN is")
    barcode.add_argument("gtin", metavar="GTIN")
    barcode.add_argument("product", metavar="PRODUCT")
    low = stock_actions.add_parser("threshold", help="below this much on hand a product is low")
    low.add_argument("product", metavar="PRODUCT")
    low.add_argument("amount", metavar="AMOUNT", help="in the product's unit; 'none' to clear")

    vials = commands.add_parser("vials", help="reconstituted toxin vials: those in use, mix one, finish one")
    vials.add_argument("--json", action="store_true")
    vial_actions = vials.add_subparsers(dest="package_action", metavar="ACTION", parser_class=_Parser)
    mix = vial_actions.add_parser("mix", help="record a vial mixed (its concentration and discard-by follow)")
    mix.add_argument("product", metavar="PRODUCT")
    mix.add_argument("--lot", required=True, metavar="LOT")
    mix.add_argument("--vial", metavar="UNITS", help="the vial's size (default: the lot's or usual size)")
    mix.add_argument("--diluent", metavar="ML", help="diluent volume in mL (default: the label's)")
    mix.add_argument("--diluent-type", default="", metavar="TEXT", help="default: 0.9% sodium chloride")
    mix.add_argument(
        "--use-within", type=_positive_int, metavar="HOURS", help="where the label gives no time"
    )
    syringes = commands.add_parser(
        "syringes",
        help="opened filler syringes: those open, open one, finish one (a part-used one stays open)",
    )
    syringes.add_argument("--json", action="store_true")
    syringe_actions = syringes.add_subparsers(dest="package_action", metavar="ACTION", parser_class=_Parser)
    opened = syringe_actions.add_parser("open", help="record a syringe opened")
    opened.add_argument("product", metavar="PRODUCT")
    opened.add_argument("--lot", required=True, metavar="LOT")
    opened.add_argument("--size", metavar="ML", help="the syringe's mL (default: the lot's or usual size)")
    for actions, what in ((vial_actions, "vial"), (syringe_actions, "syringe")):
        finish = actions.add_parser(
            "finish", help=f"the {what} is used up (--wasted: its rest thrown away); what is left is wastage"
        )
        finish.add_argument("package", type=_positive_int, metavar=what.upper())
        finish.add_argument("--wasted", action="store_true", help="the rest was thrown away")

    lot = commands.add_parser("lot", help="a lot recall: every patient, visit, site and amount from a lot")
    lot.add_argument("lot", metavar="LOT")
    lot.add_argument("--product", metavar="NAME", help="when several products have a lot of that number")
    lot.add_argument(
        "--format",
        choices=["table", "csv", "json", "pdf"],
        default="table",
        help="pdf: the recall report (-o FILE)",
    )
    lot.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    _add_force(lot)

    events = commands.add_parser(
        "events", help="adverse events: list them, record one, and a vascular occlusion's timed log"
    )
    events.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD")
    events.add_argument("--product", metavar="NAME", help="events after visits that used this product")
    events.add_argument("--lot", metavar="LOT", help="events after visits that used this lot")
    events.add_argument("--format", choices=["table", "csv", "json"], default="table")
    event_actions = events.add_subparsers(dest="events_action", metavar="ACTION", parser_class=_Parser)
    report_event = event_actions.add_parser("add", help="record an adverse event of a patient")
    report_event.add_argument("patient", metavar="CHART")
    report_event.add_argument("--kind", required=True, choices=[k.value for k in _event_kinds()])
    report_event.add_argument("--severity", required=True, choices=["mild", "moderate", "severe"])
    report_event.add_argument("--onset", required=True, type=_moment, metavar="YYYY-MM-DDTHH:MM+ZZ:ZZ")
    report_event.add_argument("--visit", type=_positive_int, metavar="VISIT", help="the visit it followed")
    report_event.add_argument("--regions", nargs="*", default=[], metavar="REGION")
    report_event.add_argument("--description", default="", metavar="TEXT")
    report_event.add_argument("--actions", default="", metavar="TEXT")
    report_event.add_argument("--referral", default="", metavar="TEXT")
    dose = event_actions.add_parser("dose", help="log a dose given to treat an event (hyaluronidase)")
    dose.add_argument("event", type=_positive_int, metavar="EVENT")
    dose.add_argument("--product", required=True, metavar="NAME")
    dose.add_argument("--amount", required=True, metavar="AMOUNT")
    dose.add_argument("--lot", metavar="LOT")
    dose.add_argument("--expiry", type=_iso_date, metavar="YYYY-MM-DD", help="a lot not registered yet")
    dose.add_argument("--regions", nargs="*", default=[], metavar="REGION")
    dose.add_argument("--at", type=_moment, metavar="TIME", help="default: now")
    assess = event_actions.add_parser("assess", help="log an assessment: refill, skin colour, pain, vision")
    assess.add_argument("event", type=_positive_int, metavar="EVENT")
    assess.add_argument("--refill", metavar="SECONDS", help="capillary refill time")
    assess.add_argument(
        "--colour", default="", metavar="TEXT", help="skin colour, e.g. blanched, mottled, dusky"
    )
    assess.add_argument("--pain", type=int, metavar="0-10")
    assess.add_argument("--vision", default="", metavar="TEXT")
    assess.add_argument("--at", type=_moment, metavar="TIME", help="default: now")
    event_photo = event_actions.add_parser("photo", help="add photos of the event as it was seen")
    event_photo.add_argument("event", type=_positive_int, metavar="EVENT")
    event_photo.add_argument("files", nargs="+", type=Path, metavar="FILE")
    event_photo.add_argument("--pose", default="close-up", metavar="POSE", help="default: close-up")
    _scope_argument(event_photo)
    close = event_actions.add_parser("close", help="record the outcome (and a follow-up day)")
    close.add_argument("event", type=_positive_int, metavar="EVENT")
    close.add_argument("--outcome", required=True, metavar="TEXT")
    close.add_argument("--follow-up", type=_iso_date, metavar="YYYY-MM-DD")

    audit = commands.add_parser("audit", help="the audit trail: verify it, or show it")
    audit_actions = audit.add_subparsers(
        dest="audit_action", metavar="ACTION", required=True, parser_class=_Parser
    )
    audit_actions.add_parser(
        "verify", help="check the hash chain and every signed visit; exit 1 naming the first fault"
    )
    log = audit_actions.add_parser("log", help="show the trail, oldest first")
    log.add_argument("--patient", metavar="CHART")
    log.add_argument("--user", dest="log_user", metavar="NAME")
    log.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD")
    log.add_argument("--format", choices=["table", "csv", "json"], default="table")

    db = commands.add_parser("db", help="database upgrade, check and backup")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True, parser_class=_Parser)
    db_commands.add_parser("upgrade", help="migrate to this version's schema (backs up SQLite first)")
    db_commands.add_parser("check", help="integrity check; prints the schema revision")
    zone = db_commands.add_parser("timezone", help="show or set the clinic's time zone")
    zone.add_argument("zone", nargs="?", metavar="ZONE", help="an IANA name, e.g. Europe/London")
    backup = db_commands.add_parser("backup", help="copy the live database to a file")
    backup.add_argument("dest", nargs="?", type=Path, metavar="DEST")
    return parser


def _roles() -> list[Any]:
    from models.vocabulary import Role

    return list(Role)


def _add_force(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--force",
        action="store_true",
        help="replace FILE if it exists (never a database, whatever --force says)",
    )


class _VersionAction(argparse.Action):
    """`--version`: the installed version is looked up (a scan of the installed packages)
    only when asked for, not by every command."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(f"aliquot {config.app_version()}")
        parser.exit()


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(
            f"{text} must be at least 1" if minimum == 1 else f"{text} must be {minimum} or more"
        )
    return value


def _positive_int(text: str) -> int:
    return _whole_number(text, 1)


def _non_negative_int(text: str) -> int:
    return _whole_number(text, 0)


def _event_kinds() -> list[Any]:
    from models.vocabulary import EventKind

    return list(EventKind)


def _moment(text: str) -> Any:
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time like 2026-11-20T14:05+00:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs its time zone, e.g. 2026-11-20T14:05+01:00")
    return moment


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def main(argv: Sequence[str] | None = None) -> int:
    from app.storage.files import restrict_new_files

    argv = list(sys.argv[1:] if argv is None else argv)
    restrict_new_files()  # the database, its -wal/-shm and every output hold patient records
    database_name = "the database"
    try:
        args = build_parser().parse_args(argv)
        url = config.database_url(args.db)
        database_name = config.describe(url)
        return _dispatch(args, url, argv)
    except UsageError as error:
        print(f"aliquot: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SignInRequired as error:
        print(f"aliquot: {error} (--user NAME, the password in ${PASSWORD_ENV_VAR})", file=sys.stderr)
        return EXIT_REFUSED
    except AliquotError as error:
        print(f"aliquot: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:  # `aliquot patients | head`
        return 0
    except KeyboardInterrupt:
        print("aliquot: interrupted", file=sys.stderr)
        return 130
    except Exception as error:
        if not _is_driver_error(error):
            raise
        from app.storage.database import explain_driver_error

        print(f"aliquot: {explain_driver_error(database_name, error)}", file=sys.stderr)
        return EXIT_REFUSED


def _is_driver_error(error: Exception) -> TypeGuard[DBAPIError]:
    """A database driver's error (SQLAlchemy's DBAPIError). Only a command that opened a
    database can raise one, and SQLAlchemy is imported by then: `--help` does not load it."""
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.DBAPIError)


def _dispatch(args: argparse.Namespace, url: URL, argv: list[str]) -> int:
    from app.storage.database import connect, open_database
    from app.storage.files import remove_stale_partials

    actor = config.current_actor()
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        remove_stale_partials(Path(url.database).parent)  # a killed backup's copy of the records
    if args.command == "db":
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
            raise AliquotError(f"there is no database at {url.database}; check the path")
        database = connect(url, actor, _WaitNotice())
        try:
            return _db_command(database, args)
        finally:
            database.close()
    database = open_database(url, actor, _WaitNotice())
    try:
        if args.user:
            _sign_in(database, args.user)
    except BaseException:
        database.close()
        raise
    if database.read_only:
        print(
            f"aliquot: {database.name} is read-only: it can be read and printed, not changed"
            " (and what is viewed, exported or printed is not recorded in its audit trail)",
            file=sys.stderr,
        )
    try:
        if args.command is None:
            from app.gui import run_gui

            return run_gui(database, [sys.argv[0], *argv])
        return COMMANDS[args.command](database, args)
    finally:
        database.close()


def _sign_in(database: Database, username: str) -> None:
    """Act as `username`: the password from the environment, else asked on the terminal."""
    import os

    from app.services.users import sign_in

    password = os.environ.get(PASSWORD_ENV_VAR)
    if password is None:
        if not sys.stdin.isatty():
            raise AliquotError(f"no password for {username}: set ${PASSWORD_ENV_VAR}, or run on a terminal")
        import getpass

        password = getpass.getpass(f"password for {username}: ")
    sign_in(database, username, password)


def _new_password(name: str) -> str:
    """A new account's password: standard input's first line, or typed twice on a terminal."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise AliquotError(f"no password for {name} on standard input")
        return line.rstrip("\r\n")
    import getpass

    first = getpass.getpass(f"new password for {name}: ")
    if getpass.getpass("again: ") != first:
        raise AliquotError("the two passwords differ; nothing was changed")
    return first


class _WaitNotice:
    """Says once, on stderr, that a write waits for another program's (a long import)."""

    told = False

    def __call__(self) -> None:
        if not self.told:
            self.told = True
            print(
                "aliquot: waiting for another program writing to the database…", file=sys.stderr, flush=True
            )


def _print_json(value: Any) -> None:
    import json

    print(json.dumps(value, ensure_ascii=False, indent=2))


def _cmd_demo(db: Database, args: argparse.Namespace) -> int:
    from app.demo import generate_demo

    report = generate_demo(
        db, patients=args.patients, seed=args.seed, as_of=args.as_of, users=not args.no_users
    )
    print(
        f"demo clinic in {db.name}: {report.patients} patients, {report.visits} visits,"
        f" {report.points} injection points, {report.lots} lots, {report.providers} providers"
    )
    if not args.no_users:
        from app.services.users import demo_sign_in_hint

        print(demo_sign_in_hint(db))
    return 0


def _cmd_patients(db: Database, args: argparse.Namespace) -> int:
    from app.services.patients import look_up_patients

    found = look_up_patients(db, args.search, include_archived=args.archived, limit=args.limit)
    if args.json:
        _print_json(
            [
                {
                    "chart_number": p.chart_number,
                    "given_name": p.given_name,
                    "family_name": p.family_name,
                    "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
                    "archived": p.archived,
                }
                for p in found
            ]
        )
        return 0
    if not found:
        print("no patients found")
        return 0
    for p in found:
        born = p.date_of_birth.isoformat() if p.date_of_birth else "-"
        archived = "  (archived)" if p.archived else ""
        print(f"{p.chart_number:<10} {born:<10}  {p.display_name}{archived}")
    if len(found) == args.limit:
        print(f"(first {args.limit} shown; narrow the search or raise --limit)", file=sys.stderr)
    return 0


def _totals_json(totals: Sequence[ProductTotal]) -> list[dict[str, Any]]:
    from models.base import format_amount

    return [
        {
            "product": t.product_name,
            "unit": t.unit.value,
            "amount": format_amount(t.amount),
            "aliquots": t.aliquots,
            "sites": t.sites,
        }
        for t in totals
    ]


def _cmd_visits(db: Database, args: argparse.Namespace) -> int:
    from app.services.visits import list_visits
    from models.base import format_amount

    visits = list_visits(db, args.patient)
    if args.json:
        _print_json(
            [
                {
                    "id": v.id,
                    "external_id": v.external_id,
                    "started_at": v.started_at.isoformat(),
                    "status": v.status.value,
                    "provider": {"name": v.provider_name, "credentials": v.provider_credentials},
                    "totals": _totals_json(v.totals),
                }
                for v in visits
            ]
        )
        return 0
    if not visits:
        print(f"{args.patient} has no visits yet")
    for v in visits:
        when = v.started_at.astimezone(db.timezone).strftime("%Y-%m-%d %H:%M")
        totals = (
            "; ".join(f"{t.product_name} {format_amount(t.amount)} {t.unit.value}" for t in v.totals)
            or "nothing charted"
        )
        who = f"{v.provider_name} {v.provider_credentials}".strip()
        print(f"{v.id:>7}  {when}  {v.status.value:<6}  {who:<24}  {totals}")
    return 0


def _cmd_catalogue(db: Database, args: argparse.Namespace) -> int:
    from app.services.catalogue import list_products
    from models.base import format_amount

    products = list_products(db.factory)
    if args.json:

        def text(value: Decimal | None) -> str | None:
            return None if value is None else format_amount(value)

        _print_json(
            [
                {
                    "name": p.name,
                    "manufacturer": p.manufacturer,
                    "generic_name": p.generic_name,
                    "kind": p.kind,
                    "unit": p.dose_unit.value,
                    "package_size": text(p.package_size),
                    "default_diluent_ml": text(p.default_diluent_ml),
                    "reconstitution": p.reconstitution,
                    "interval_min_days": p.interval_min_days,
                    "interval_max_days": p.interval_max_days,
                    "colour": p.colour,
                }
                for p in products
            ]
        )
        return 0
    for p in products:
        size = f"{format_amount(p.package_size)} {p.dose_unit.value}" if p.package_size else "-"
        if p.interval_min_days:
            interval = f"every {p.interval_min_days}-{p.interval_max_days} days"
        else:
            interval = "no maintenance interval"
        print(f"{p.name:<24} {p.kind:<15} {p.dose_unit.value:<3} {size:>9}  {interval}")
    return 0


def _cmd_guardrails(db: Database, args: argparse.Namespace) -> int:
    from app.services.guardrails import load_guardrails, set_guardrail
    from models.guardrails import describe_rule

    if args.set:
        rule_id, field, value = args.set
        set_guardrail(db, rule_id, field, value)
    elif args.reset:
        rule_id, field = args.reset
        set_guardrail(db, rule_id, field, None)
    rules = [describe_rule(rule) for rule in load_guardrails(db).rules()]
    if args.json:
        import json

        print(json.dumps(rules, indent=1, ensure_ascii=False))
        return 0
    for rule in rules:
        figures = ", ".join(
            f"{key} {_shown_range(value) if isinstance(value, list) else value}"
            for key, value in rule.items()
            if key not in ("id", "for", "area", "source", "editable")
        )
        print(
            f"{rule['id']:<24} {'/'.join(rule['for'])} · {rule['area']} · {figures}"
            f" · {'editable ' if rule['editable'] else ''}source: {rule['source']}"
        )
    return 0


def _shown_range(value: list[Any]) -> str:
    low, high = value
    return f"up to {high}" if low is None else f"at least {low}" if high is None else f"{low}–{high}"


def _cmd_import(db: Database, args: argparse.Namespace) -> int:
    from app.exports.interchange import ImportResult, import_files

    def report(result: ImportResult) -> None:
        print(result.describe())
        for line in result.warnings:  # imported as charted; what the safety checks say, told
            print(line, file=sys.stderr)

    import_files(db, args.files, report)
    return 0


def _cmd_export(db: Database, args: argparse.Namespace) -> int:
    from app.exports.interchange import dumps, export_patient, export_patient_file

    if args.output is None:
        sys.stdout.write(dumps(export_patient(db, args.patient)))
        return 0
    export_patient_file(db, args.patient, args.output, replace=args.force)
    print(f"exported {args.patient} to {args.output}", file=sys.stderr)
    return 0


def _cmd_export_image(db: Database, args: argparse.Namespace) -> int:
    from app.gui import export_chart_image
    from app.services.visits import get_visit
    from app.storage.files import check_output_file

    output = args.output
    check_output_file(output, ".png", "the chart image is a PNG", replace=args.force)
    get_visit(db, args.visit)  # a clear "no visit with id N" before any drawing starts
    export_chart_image(db, args.visit, output, args.view, replace=args.force)
    from app.services.audit import record_access

    record_access(db, "export", "visit", args.visit, format="png", view=args.view, file=output.name)
    print(f"drew visit {args.visit} ({args.view} view) to {output}", file=sys.stderr)
    return 0


def _cmd_due(db: Database, args: argparse.Namespace) -> int:
    import json
    from datetime import datetime

    from app.exports.due_list import COLUMNS, row_values, to_csv, to_ics
    from app.services.recall import describe_counts, due_list
    from app.storage.files import check_output_file, write_atomically_bytes

    if args.output is not None:
        check_output_file(args.output, replace=args.force)
    today = args.as_of or datetime.now(db.timezone).date()
    rows = due_list(db, today, args.within)
    # A spreadsheet, a calendar or a file takes names and phones out of the program: audited.
    # The list read on the terminal (table, JSON) is a read, done beside a long write.
    if args.format in ("csv", "ics") or args.output is not None:
        from app.services.audit import record_access

        record_access(
            db,
            "export",
            "due-list",
            None,
            format=args.format,
            rows=len(rows),
            names=not args.no_names,
            file=args.output.name if args.output else "standard output",
        )
    if args.format == "ics":
        content: str | bytes = to_ics(rows, today, names=not args.no_names)
    elif args.format == "csv":
        content = to_csv(rows, today)
    elif args.format == "json":
        content = (
            json.dumps(
                [dict(zip(COLUMNS, row_values(r, today), strict=True)) for r in rows],
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        lines = [describe_counts(rows, f" as of {today.isoformat()}")]
        for r in rows:
            overdue = f"{r.days_overdue(today)} days overdue" if r.days_overdue(today) else ""
            lines.append(
                f"{r.chart_number:<9} {r.patient_name[:24]:<24} {(r.phone or '-')[:16]:<16}"
                f" {r.area[:28]:<28}"
                f" {r.item.product_name[:20]:<20} last {r.item.last_treated}"
                f"  due {r.item.due_from}..{r.item.due_by}  {r.item.status.value:<8} {overdue}"
            )
        content = "\n".join(lines) + "\n"
    if args.output is None:
        if isinstance(content, bytes):
            sys.stdout.buffer.write(content)
        else:
            sys.stdout.write(content)
        return 0
    write_atomically_bytes(
        args.output, content if isinstance(content, bytes) else content.encode("utf-8"), replace=args.force
    )
    print(f"{describe_counts(rows)} written to {args.output}", file=sys.stderr)
    return 0


def _cmd_pdf(db: Database, args: argparse.Namespace) -> int:
    from app.exports.records import history_pdf, visit_record_pdf
    from app.storage.files import check_output_file, write_atomically_bytes
    from models.vocabulary import PhotoScope

    output = args.output
    check_output_file(output, ".pdf", "a record is a PDF", replace=args.force)
    if args.pdf_kind == "visit":
        data, what = (
            visit_record_pdf(db, args.visit, PhotoScope(args.purpose)),
            f"the record of visit {args.visit}",
        )
    else:
        data, what = history_pdf(db, args.patient), f"the history of {args.patient}"
    write_atomically_bytes(output, data, replace=args.force)
    print(f"wrote {what} to {output}", file=sys.stderr)
    return 0


def _cmd_injectors(db: Database, args: argparse.Namespace) -> int:
    from app.services.providers import create_provider, list_providers, update_provider

    if args.injectors_action == "add":
        added = create_provider(db, args.name, args.credentials or "", args.licence)
        print(f"registered injector {added.id}: {added.label}")
        return 0
    if args.injectors_action == "edit":
        known = {p.id: p for p in list_providers(db, include_inactive=True)}
        if args.id not in known:
            raise NotFoundError(f"there is no injector {args.id} (see: aliquot injectors --all)")
        old = known[args.id]
        changed = update_provider(
            db,
            old.id,
            old.display_name if args.name is None else args.name,
            old.credentials if args.credentials is None else args.credentials,
            old.licence_number if args.licence is None else args.licence,
            True if args.active else False if args.inactive else old.active,
        )
        print(f"injector {changed.id}: {changed.label}" + ("" if changed.active else " (inactive)"))
        return 0
    found = list_providers(db, include_inactive=args.all)
    if args.json:
        _print_json(
            [
                {
                    "id": p.id,
                    "name": p.display_name,
                    "credentials": p.credentials,
                    "licence_number": p.licence_number,
                    "active": p.active,
                }
                for p in found
            ]
        )
        return 0
    if not found:
        off = len(list_providers(db, include_inactive=True))
        print(
            f"no injectors on the list ({off} taken off: see --all, and `aliquot injectors edit ID --active`)"
            if off
            else "no injectors registered: add one with `aliquot injectors add NAME --credentials RN`"
        )
    for p in found:
        print(
            f"{p.id:>5}  {p.display_name:<32} {p.credentials:<8} {p.licence_number or '-':<16}"
            f"{'' if p.active else '  (inactive)'}".rstrip()
        )
    return 0


def _cmd_clinic(db: Database, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from app.exports.records import logo_from_file
    from app.services.settings import (
        load_clinic_profile,
        load_signing_settings,
        save_clinic_profile,
        save_signing_settings,
    )

    profile = load_clinic_profile(db)
    changes = {
        k: v.strip()
        for k, v in (
            ("name", args.name),
            ("address", args.address),
            ("phone", args.phone),
            ("aftercare", args.aftercare),
        )
        if v is not None
    }
    if args.logo is not None:
        changes["logo_png"] = logo_from_file(args.logo)
    if changes:
        profile = replace(profile, **changes)
        save_clinic_profile(db, profile)
    signing = load_signing_settings(db)
    if args.require_cosign is not None or args.idle_lock is not None:
        signing = replace(
            signing,
            require_cosign=signing.require_cosign
            if args.require_cosign is None
            else args.require_cosign == "yes",
            idle_lock_minutes=args.idle_lock or signing.idle_lock_minutes,
        )
        save_signing_settings(db, signing)
    print(
        f"co-signature required: {'yes' if signing.require_cosign else 'no'}\n"
        f"idle lock: {signing.idle_lock_minutes} min"
    )
    print(
        f"name: {profile.name or '(not set)'}\naddress: {profile.address or '(not set)'}\n"
        f"phone: {profile.phone or '(not set)'}\nlogo: {'set' if profile.logo_png else '(not set)'}\n"
        f"aftercare: {profile.aftercare}"
    )
    return 0


def _cmd_users(db: Database, args: argparse.Namespace) -> int:
    from app.services.users import add_user, disable_user, list_users, set_password
    from models.accounts import ROLE_WORDS
    from models.vocabulary import Role

    if args.users_action == "add":
        added = add_user(
            db, args.name, Role(args.role), _new_password(args.name), args.full_name or "", args.injector
        )
        print(f"added user {added.username} ({ROLE_WORDS[added.role]})")
        return 0
    if args.users_action == "disable":
        disabled = disable_user(db, args.name)
        print(f"disabled user {disabled.username}: it can no longer sign in")
        return 0
    if args.users_action == "password":
        set_password(db, args.name, _new_password(args.name))
        print(f"new password set for {args.name}")
        return 0
    users = list_users(db)
    if args.json:
        _print_json(
            [
                {
                    "username": u.username,
                    "full_name": u.full_name,
                    "role": u.role.value,
                    "injector": u.provider_id,
                    "active": u.active,
                }
                for u in users
            ]
        )
        return 0
    if not users:
        print(
            "no user accounts: the clinic works without signing in. Add the first (an admin) with:"
            " aliquot users add NAME --role admin"
        )
    for u in users:
        injector = f"injector {u.provider_id} ({u.provider_name})" if u.provider_id else ""
        print(
            f"{u.username:<20} {ROLE_WORDS[u.role]:<11} {u.full_name:<28} {injector}"
            f"{'' if u.active else '  (disabled)'}".rstrip()
        )
    return 0


def _cmd_sign(db: Database, args: argparse.Namespace) -> int:
    from app.services.signing import sign_visit

    signed = sign_visit(db, args.visit)
    assert signed.signature is not None
    print(
        f"visit {signed.id} signed by {signed.signature.signer.shown}"
        f" at {signed.signature.signed_at:%Y-%m-%d %H:%M} UTC; content SHA-256 {signed.signature.content_hash}"
    )
    return 0


def _cmd_cosign(db: Database, args: argparse.Namespace) -> int:
    from app.services.signing import awaiting_cosign, cosign_visit

    if args.visit is None:
        if not args.pending:
            raise UsageError("give a VISIT to co-sign, or --pending to list those awaiting it")
        pending = awaiting_cosign(db)
        if not pending:
            print("no signed visits await a co-signature")
        for p in pending:
            print(
                f"{p.visit_id:>7}  {p.started_at.astimezone(db.timezone):%Y-%m-%d}  {p.chart_number:<10}"
                f" {p.patient_name:<30} {p.injector}"
            )
        return 0
    record = cosign_visit(db, args.visit)
    assert record.signature is not None and record.signature.cosigner is not None
    print(f"visit {record.id} co-signed by {record.signature.cosigner.shown}")
    return 0


def _cmd_amend(db: Database, args: argparse.Namespace) -> int:
    from app.exports.interchange import amend_from_file

    amended = amend_from_file(db, args.visit, args.reason, args.file)
    print(f"visit {args.visit} amended by visit {amended.id}, signed; the original stays as it was")
    return 0


def _cmd_photos(db: Database, args: argparse.Namespace) -> int:
    from app.services.photos import add_photo, export_photo, list_photos, read_photo_file
    from models.vocabulary import PhotoScope

    if args.photos_action == "add":
        for path in args.files:  # each file whole or not at all; the first refusal stops
            added = add_photo(
                db, args.visit, read_photo_file(path), args.pose, PhotoScope(args.scope), path.name
            )
            print(
                f"photo {added.id}: {path.name} ({added.width} × {added.height}, {added.pose}) added to visit {args.visit}"
            )
        return 0
    if args.photos_action == "measure":
        return _print_asymmetry(db, args)
    if args.photos_action == "export":
        written = export_photo(db, args.photo, args.output, replace=args.force)
        print(f"photo {args.photo} written to {written}", file=sys.stderr)
        return 0
    found = list_photos(db, args.patient)
    rows = [
        {
            "id": p.id,
            "visit": p.visit_id,
            "pose": p.pose,
            "scope": p.scope.value,
            "taken": p.taken_at.isoformat() if p.taken_at else None,
            "width": p.width,
            "height": p.height,
            "sha256": p.sha256,
        }
        for p in found
    ]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print(f"{args.patient} has no photos")
    for r in rows:
        print(
            f"{r['id']:>6}  visit {r['visit']:<6} {r['pose']:<20} {r['width']}×{r['height']:<6}"
            f" {r['taken'] or 'time unknown':<26} {r['scope']}"
        )
    return 0


def _print_asymmetry(db: Database, args: argparse.Namespace) -> int:
    from app.services.asymmetry import describe, lines_of, patient_asymmetry

    found = patient_asymmetry(db, args.patient)
    if args.json:
        _print_json([describe(m) for m in found])
        return 0
    if not found:
        print(f"{args.patient} has no photos")
    for m in found:
        print(f"photo {m.photo_id} · visit {m.visit_id} of {m.visit_day} · {m.pose}")
        for line in lines_of(m):
            print(f"  {line}")
    return 0


def _cmd_packages(db: Database, args: argparse.Namespace) -> int:
    """`aliquot vials` and `aliquot syringes`: those open, mix or open one, finish one."""
    from datetime import datetime
    from decimal import Decimal

    from app.services.packages import (
        DEFAULT_DILUENT,
        Package,
        finish_package,
        mix_vial,
        open_packages,
        open_syringe,
    )
    from models.amounts import format_dose, parse_amount
    from models.base import format_amount
    from models.vocabulary import DoseUnit, PackageKind

    kind = PackageKind.VIAL if args.command == "vials" else PackageKind.SYRINGE

    def amount(text: str | None, unit: DoseUnit) -> Decimal | None:
        return None if text is None else parse_amount(text, unit)

    def said(package: Package) -> str:
        def at(moment: datetime) -> str:
            return f"{moment.astimezone(db.timezone):%Y-%m-%d %H:%M}"

        verb = "mixed" if package.kind is PackageKind.VIAL else "opened"
        use_by = f", use by {at(package.discard_by)}" if package.discard_by else ""
        state = (
            f"; {package.finish.value if package.finish else ''} {at(package.finished_at)},"
            f" {format_dose(max(package.left, Decimal(0)), package.unit)} wasted"
            if package.finished_at is not None
            else f"; {format_dose(package.left, package.unit)} left"
        )
        return f"{package.name}: {package.describe()}; {verb} {at(package.opened_at)}{use_by}{state}"

    if args.package_action == "mix":
        print(
            said(
                mix_vial(
                    db,
                    args.product,
                    args.lot,
                    amount(args.vial, DoseUnit.UNITS),
                    amount(args.diluent, DoseUnit.MILLILITRES),
                    args.diluent_type or DEFAULT_DILUENT,
                    use_within=args.use_within,
                )
            )
        )
        return 0
    if args.package_action == "open":
        print(said(open_syringe(db, args.product, args.lot, amount(args.size, DoseUnit.MILLILITRES))))
        return 0
    if args.package_action == "finish":
        print(said(finish_package(db, args.package, wasted=args.wasted)))
        return 0
    found = open_packages(db, kind=kind)
    if args.json:
        _print_json(
            [
                {
                    "id": p.id,
                    "product": p.product,
                    "lot": p.lot,
                    "size": format_amount(p.size),
                    "left": format_amount(p.left),
                    "unit": p.unit,
                    "opened_at": p.opened_at.isoformat(),
                    "discard_by": p.discard_by.isoformat() if p.discard_by else None,
                }
                | (
                    {"per_0.1_mL": format_amount(p.per_tenth_ml.quantize(Decimal("0.01")).normalize())}
                    if p.diluent_ml is not None
                    else {}
                )
                for p in found
            ]
        )
        return 0
    if not found:
        print(f"no {kind.value} open")
    for package in found:
        print(said(package))
    return 0


def _cmd_stock(db: Database, args: argparse.Namespace) -> int:
    from app.services import stock
    from app.services.visits import ProductLookup
    from models.amounts import format_dose, parse_amount

    def amount_of(text: str, product_name: str) -> Decimal:
        with db.factory() as session:
            product = ProductLookup(session).product(product_name)
        return parse_amount(text, product.dose_unit.value, product.name)

    if args.stock_action == "receive":
        size = amount_of(args.package, args.product or "") if args.package and args.product else None
        if args.package and size is None:
            from decimal import Decimal, InvalidOperation

            try:
                size = Decimal(args.package)
            except InvalidOperation:
                raise UsageError(f"{args.package!r} is not a package size") from None
        got = stock.receive_stock(
            db, args.product, args.lot, args.expiry, args.quantity, size, args.supplier, args.gs1
        )
        print(
            f"received {got.packages} × {got.product} lot {got.lot}"
            f" (expiry {got.expiry or 'none'}): {format_dose(got.amount, got.unit)}"
        )
        return 0
    if args.stock_action == "write-off":
        stock.write_off(
            db, args.product, args.lot, amount_of(args.amount, args.product), args.reason, args.notes
        )
        print(f"{args.reason}: {args.amount} of {args.product} lot {args.lot}")
        return 0
    if args.stock_action == "map":
        stock.map_barcode(db, args.gtin, args.product)
        print(f"GTIN {args.gtin} is {args.product}")
        return 0
    if args.stock_action == "threshold":
        amount = None if args.amount.lower() == "none" else amount_of(args.amount, args.product)
        stock.set_threshold(db, args.product, amount)
        print(f"{args.product}: low below {args.amount}")
        return 0
    report = stock.stock_on_hand(db)
    if args.json:
        from models.base import format_amount

        _print_json(
            {
                "lots": [
                    {
                        "product": s.product,
                        "lot": s.lot,
                        "expiry": s.expiry.isoformat() if s.expiry else None,
                        "unit": s.unit,
                        "received": format_amount(s.received),
                        "charted": format_amount(s.charted),
                        "written_off": format_amount(s.written_off),
                        "left_in_finished": format_amount(s.left_in_finished),
                        "on_hand": format_amount(s.on_hand),
                        "left_in_open": format_amount(s.left_in_open),
                        "open_packages": s.open_packages,
                    }
                    for s in report.lots
                ],
                "warnings": report.warnings,
            }
        )
        return 0
    if not report.lots:
        print("no stock recorded: aliquot stock receive PRODUCT --lot LOT --expiry DAY --quantity N")
    for s in report.lots:
        packages = f" ({s.packages_on_hand:.2f} packages)" if s.packages_on_hand is not None else ""
        in_open = (
            f", {format_dose(s.left_in_open, s.unit)} of it in {s.open_packages} open"
            if s.open_packages
            else ""
        )
        print(
            f"{s.product:<24} lot {s.lot:<12} exp {s.expiry or '-'}  on hand {format_dose(s.on_hand, s.unit)}{packages}"
            f"{in_open}  (in {format_dose(s.received, s.unit)}, charted {format_dose(s.charted, s.unit)},"
            f" wasted {format_dose(s.wasted, s.unit)})"
        )
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0


def _cmd_lot(db: Database, args: argparse.Namespace) -> int:
    import json

    from app.services.lots import RECALL_COLUMNS, lot_recall, recall_rows
    from app.storage.files import check_output_file, csv_bytes, write_atomically_bytes

    if args.output is not None:
        check_output_file(args.output, replace=args.force)
    if args.format == "pdf":
        from app.exports.records import lot_recall_pdf

        if args.output is None:
            raise UsageError("the recall report is a PDF: give -o FILE")
        write_atomically_bytes(args.output, lot_recall_pdf(db, args.lot, args.product), replace=args.force)
        print(f"the recall report of lot {args.lot} written to {args.output}", file=sys.stderr)
        return 0
    uses = lot_recall(db, args.lot, args.product)
    rows = recall_rows(uses)
    patients = len({u.chart_number for u in uses})
    summary = f"lot {args.lot}: {len(uses)} injections, {patients} patient{'s' if patients != 1 else ''}"
    if args.format == "csv":
        content = csv_bytes(RECALL_COLUMNS, rows)
    elif args.format == "json":
        content = (
            json.dumps(
                [dict(zip(RECALL_COLUMNS, r, strict=True)) for r in rows], ensure_ascii=False, indent=2
            )
            + "\n"
        ).encode()
    else:
        lines = [summary] + [
            f"{r[0]:<9} {str(r[1])[:26]:<26} {r[4]}  visit {r[3]:<7} {r[9]:<18} {r[10]:>6} {r[11]:<3} {r[6]}"
            for r in rows
        ]
        content = ("\n".join(lines) + "\n").encode()
    if args.output is None:
        sys.stdout.buffer.write(content)
        return 0
    write_atomically_bytes(args.output, content, replace=args.force)
    print(f"{summary}, written to {args.output}", file=sys.stderr)
    return 0


def _scope_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scope",
        choices=["clinical", "teaching", "marketing"],
        default="clinical",
        help="what the patient consented to for these photos (default: the clinical record only)",
    )


def _cmd_events(db: Database, args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from app.services import adverse_events as events
    from models.amounts import parse_amount
    from models.vocabulary import EventKind, Severity

    now = datetime.now(UTC)
    if args.events_action == "add":
        record = events.report_adverse_event(
            db,
            args.patient,
            EventKind(args.kind),
            Severity(args.severity),
            args.onset,
            args.visit,
            tuple(args.regions),
            args.description,
            args.actions,
            args.referral,
        )
        print(
            f"adverse event {record.id}: {record.kind.value} ({record.severity.value}) of {record.chart_number}"
        )
        return 0
    if args.events_action == "dose":
        from app.services.visits import ProductLookup

        with db.factory() as session:
            product = ProductLookup(session).product(args.product)
            amount = parse_amount(args.amount, product.dose_unit.value, product.name)
        record = events.log_dose(
            db, args.event, args.at or now, args.product, amount, args.lot, args.expiry, tuple(args.regions)
        )
        print(f"event {record.id}: {record.log[-1].words} at {record.log[-1].at:%H:%M} UTC")
        return 0
    if args.events_action == "assess":
        from decimal import Decimal, InvalidOperation

        try:
            refill = Decimal(args.refill) if args.refill is not None else None
        except InvalidOperation:
            raise UsageError(f"{args.refill!r} is not a number of seconds") from None
        record = events.log_assessment(
            db, args.event, args.at or now, refill, args.colour, args.pain, args.vision
        )
        print(f"event {record.id}: {record.log[-1].words}")
        return 0
    if args.events_action == "photo":
        from app.services.photos import add_event_photo, read_photo_file
        from models.vocabulary import PhotoScope

        for path in args.files:  # each file whole or not at all; the first refusal stops
            added = add_event_photo(
                db, args.event, read_photo_file(path), PhotoScope(args.scope), path.name, args.pose
            )
            print(
                f"photo {added.id}: {path.name} ({added.width} × {added.height}, {added.pose}) added to event {args.event}"
            )
        return 0
    if args.events_action == "close":
        record = events.close_adverse_event(db, args.event, args.outcome, args.follow_up)
        print(f"event {record.id}: {record.outcome}")
        return 0
    found = events.list_adverse_events(db, args.since, args.product, args.lot)
    columns = [
        "id",
        "chart",
        "patient",
        "visit",
        "onset",
        "kind",
        "severity",
        "regions",
        "actions",
        "outcome",
        "log",
    ]
    rows = [
        [
            e.id,
            e.chart_number,
            e.patient_name,
            e.visit_id or "",
            e.onset_at.astimezone(db.timezone).strftime("%Y-%m-%d %H:%M"),
            e.kind.value,
            e.severity.value,
            " ".join(e.regions),
            e.actions,
            e.outcome,
            "; ".join(f"{line.at.astimezone(db.timezone):%H:%M} {line.words}" for line in e.log),
        ]
        for e in found
    ]
    if args.format == "json":
        _print_json([dict(zip(columns, row, strict=True)) for row in rows])
    elif args.format == "csv":
        from app.storage.files import csv_bytes

        sys.stdout.buffer.write(csv_bytes(columns, rows))
    else:
        if not rows:
            print("no adverse events recorded")
        for row in rows:
            print(
                f"{row[0]:>5}  {row[4]}  {row[1]:<9} {str(row[2])[:24]:<24} {row[5]:<18} {row[6]:<8} {row[9]}".rstrip()
            )
    return 0


def _cmd_audit(db: Database, args: argparse.Namespace) -> int:
    if args.audit_action == "verify":
        from app.services.trail import verify_trail

        report = verify_trail(db)
        if report.ok:
            print(report.summary())
            return 0
        print(f"aliquot: {report.summary()}", file=sys.stderr)
        return EXIT_REFUSED
    from app.services.trail import audit_log

    entries = list(audit_log(db, args.patient, args.log_user, args.since))
    if args.format == "json":
        import json

        _print_json(
            [
                {
                    "id": e.id,
                    "at": e.occurred_at.isoformat(),
                    "user": e.actor,
                    "workstation": e.workstation,
                    "action": e.action,
                    "entity": e.entity,
                    "entity_id": e.entity_id,
                    "chart": e.chart_number,
                    "visit": e.visit_id,
                    "details": json.loads(e.details),
                }
                for e in entries
            ]
        )
        return 0
    columns = [
        "id",
        "at",
        "user",
        "workstation",
        "action",
        "entity",
        "entity_id",
        "chart",
        "visit",
        "details",
    ]
    rows = [
        [
            e.id,
            e.occurred_at.astimezone(db.timezone).strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.workstation,
            e.action,
            e.entity,
            e.entity_id or "",
            e.chart_number or "",
            e.visit_id or "",
            e.details,
        ]
        for e in entries
    ]
    if args.format == "csv":
        from app.storage.files import csv_bytes

        sys.stdout.buffer.write(csv_bytes(columns, rows))
        return 0
    for row in rows:
        details = "" if row[9] == "{}" else f"  {row[9]}"
        print(
            f"{row[0]:>7}  {row[1]}  {row[2]:<16} {row[4]:<14} {row[5]} {row[6]}  {row[7]}{details}".rstrip()
        )
    return 0


def _db_command(db: Database, args: argparse.Namespace) -> int:
    from app.services.settings import set_clinic_timezone
    from app.storage.database import (
        backup_sqlite,
        check_integrity,
        open_database,
        upgrade_server,
    )
    from app.storage.files import backup_path

    if args.db_command == "upgrade":
        status = upgrade_server(db)
        print(f"{db.name}: schema {status.current} (this version's head: {status.head})")
        return 0
    if args.db_command == "check":
        report = check_integrity(db)
        print(f"{db.name}: schema revision {report.revision or 'none'} (this version: {report.head})")
        if report.revision and report.revision != report.head and report.ok:
            print(f"note: it will be backed up and upgraded to {report.head} when Aliquot next opens it")
        for problem in report.problems:
            print(f"problem: {problem}")
        print("integrity: ok" if report.ok else "integrity: FAILED")
        trail_ok = True
        if report.ok and report.revision == report.head:
            from app.services.trail import verify_trail

            trail = verify_trail(db)
            print(trail.summary())
            from app.services.photos import check_photos

            damaged = check_photos(db)
            for problem in damaged:
                print(f"problem: {problem}")
            print("photos: ok" if not damaged else f"photos: {len(damaged)} damaged")
            trail_ok = trail.ok and not damaged
        return 0 if report.ok and trail_ok else EXIT_REFUSED
    if args.db_command == "timezone":
        prepared = open_database(db.url, db.actor, db.on_write_wait)
        try:
            if args.user:
                _sign_in(prepared, args.user)
            if args.zone:
                set_clinic_timezone(prepared, args.zone)
            print(f"{db.name}: clinic time zone {prepared.timezone.key}")
        finally:
            prepared.close()
        return 0
    if args.db_command == "backup":
        source = Path(db.url.database or "aliquot.db")
        dest = args.dest or backup_path(source)
        written = backup_sqlite(db, dest)
        print(f"backed up {db.name} to {written}")
        return 0
    raise UsageError(f"unknown db action {args.db_command}")


COMMANDS: dict[str, Callable[[Database, argparse.Namespace], int]] = {
    "demo": _cmd_demo,
    "patients": _cmd_patients,
    "visits": _cmd_visits,
    "catalogue": _cmd_catalogue,
    "guardrails": _cmd_guardrails,
    "import": _cmd_import,
    "export": _cmd_export,
    "export-image": _cmd_export_image,
    "due": _cmd_due,
    "pdf": _cmd_pdf,
    "clinic": _cmd_clinic,
    "injectors": _cmd_injectors,
    "users": _cmd_users,
    "sign": _cmd_sign,
    "cosign": _cmd_cosign,
    "amend": _cmd_amend,
    "audit": _cmd_audit,
    "photos": _cmd_photos,
    "lot": _cmd_lot,
    "events": _cmd_events,
    "stock": _cmd_stock,
    "vials": _cmd_packages,
    "syringes": _cmd_packages,
}
