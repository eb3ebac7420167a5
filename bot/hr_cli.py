"""HR and data-protection subcommands of ``mentorbot``: import, report, gdpr, hr roles.

``add_parsers`` adds them to the main parser; ``run`` executes one. Every command that reads
or changes someone else's data writes the audit log (actor ``cli``, or ``--as EMAIL``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session, sessionmaker

from bot.hr_import import ImportFileError, ImportReport, import_pairs, import_people
from bot.settings import Settings
from conversations.erasure import erase_person, purge_closed_content
from conversations.hr_admin import audit, parse_emails, set_hr, sync_hr_emails
from conversations.results import programme_results, render_csv, render_html
from storage.db import transaction
from storage.export import person_data
from storage.models import Person
from storage.queries import person_by_email, programme_by_name

COMMANDS = ("import", "report", "gdpr", "hr")
PROGRESS_FROM = 1000


class HrCliError(ValueError):
    """A request the CLI refuses; the message says why."""


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``import``, ``report``, ``gdpr`` and ``hr`` to the ``mentorbot`` parser."""
    imp = sub.add_parser(
        "import",
        help="import people or pairs from a CSV file (validated as a whole first)",
        description=(
            "UTF-8 CSV (with or without BOM), separated by ',' or ';'. people: email*, name*, "
            "locale, timezone, supervisor_email, employment_start, returning_from_leave, hr. "
            "pairs: programme*, mentor_email*, actor_email*. Nothing is written unless every "
            "row is valid (or --skip-invalid); re-importing a file changes nothing."
        ),
    )
    imp.add_argument(
        "target",
        nargs="+",
        metavar="[people|pairs] FILE",
        help="what the file holds (default: told by its header, actor_email means pairs)",
    )
    imp.add_argument(
        "--skip-invalid", action="store_true", help="write the valid rows, report the others"
    )
    imp.add_argument("--as", dest="as_email", metavar="EMAIL", help="audited as this person")

    rep = sub.add_parser("report", help="a programme's results: HTML with charts and/or CSV")
    rep.add_argument("--programme", required=True)
    rep.add_argument("--html", type=Path, metavar="FILE", help="one self-contained HTML file")
    rep.add_argument("--csv", type=Path, metavar="FILE", help="section,metric,value rows")
    rep.add_argument("--locale", choices=("en", "fi"), default="en")
    rep.add_argument("--as", dest="as_email", metavar="EMAIL", help="audited as this person")

    gdpr = sub.add_parser("gdpr", help="data protection: export, erase, retention purge")
    gdpr_sub = gdpr.add_subparsers(dest="gdpr_command", required=True, metavar="ACTION")
    exp = gdpr_sub.add_parser("export", help="everything stored about EMAIL, as JSON")
    exp.add_argument("email")
    exp.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    exp.add_argument("--as", dest="as_email", metavar="EMAIL", help="audited as this person")
    erase = gdpr_sub.add_parser(
        "erase", help="delete EMAIL's content and identities, keeping anonymous counts"
    )
    erase.add_argument("email")
    erase.add_argument("--yes", action="store_true", help="confirm without asking")
    erase.add_argument("--as", dest="as_email", metavar="EMAIL", help="audited as this person")
    gdpr_sub.add_parser(
        "purge",
        help="delete the content of relationships closed longer ago than "
        "MENTORBOT_CONTENT_RETENTION_DAYS (the sweep does this too)",
    )

    hr = sub.add_parser("hr", help="the HR role")
    hr_sub = hr.add_subparsers(dest="hr_command", required=True, metavar="ACTION")
    for name, text in (("grant", "give EMAIL the HR role"), ("revoke", "take the HR role")):
        p = hr_sub.add_parser(name, help=text)
        p.add_argument("email")
        p.add_argument("--as", dest="as_email", metavar="EMAIL", help="audited as this person")


def startup(factory: sessionmaker[Session], settings: Settings, now: datetime) -> None:
    """At every start: grant the HR role to the people in ``MENTORBOT_HR_EMAILS``."""
    emails = parse_emails(settings.hr_emails)
    if emails:
        with transaction(factory) as session:
            sync_hr_emails(session, now, emails)


def run(
    args: argparse.Namespace,
    factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    out: TextIO | None = None,
    err: TextIO | None = None,
    confirm: TextIO | None = None,
) -> int:
    """Run one HR subcommand; the exit code is 0 on success, 1 on invalid input."""
    out, err, confirm = out or sys.stdout, err or sys.stderr, confirm or sys.stdin
    by = getattr(args, "as_email", None) or "cli"
    try:
        with transaction(factory) as session:
            if args.command == "import":
                return _import(session, now, args, by, out, err)
            if args.command == "report":
                return _report(session, now, args, by, out)
            if args.command == "hr":
                target = _person(session, args.email)
                changed = set_hr(session, now, by, target, args.hr_command == "grant")
                state = "granted" if args.hr_command == "grant" else "revoked"
                print(f"HR role {state if changed else 'unchanged'} for {target.email}", file=out)
                return 0
            return _gdpr(session, now, args, by, settings, out, err, confirm)
    except _Rollback as rollback:
        return rollback.code
    except (HrCliError, ImportFileError) as error:
        print(f"mentorbot: {error}", file=err)
        return 1


def _person(session: Session, email: str) -> Person:
    person = person_by_email(session, email)
    if person is None or person.erased_at is not None:
        raise HrCliError(f"unknown person {email}")
    return person


def _import(
    session: Session,
    now: datetime,
    args: argparse.Namespace,
    by: str,
    out: TextIO,
    err: TextIO,
) -> int:
    kind, path = _import_target(args.target)
    data = path.read_bytes()
    if kind is None:
        header = data.split(b"\n", 1)[0].lower()
        kind = "pairs" if b"actor_email" in header else "people"
    big = data.count(b"\n") >= PROGRESS_FROM

    def progress(done: int, total: int) -> None:
        if not big:
            return
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=err)

    importer = import_people if kind == "people" else import_pairs
    report: ImportReport = importer(
        session, now, data, skip_invalid=args.skip_invalid, actor=by, progress=progress
    )
    for line in report.error_lines():
        print(f"{path}: {line}", file=err)
    if not report.written:
        print(
            f"{len(report.errors)} of {report.rows} rows are invalid: nothing was imported "
            "(fix them, or use --skip-invalid)",
            file=err,
        )
        raise _Rollback(1)
    print(
        f"{kind}: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.errors)} skipped as invalid",
        file=out,
    )
    return 0


def _import_target(target: list[str]) -> tuple[str | None, Path]:
    """``people FILE``, ``pairs FILE`` or just ``FILE``."""
    if len(target) == 1:
        return None, Path(target[0])
    if len(target) == 2 and target[0] in ("people", "pairs"):
        return target[0], Path(target[1])
    raise HrCliError("usage: mentorbot import [people|pairs] FILE")


class _Rollback(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _report(session: Session, now: datetime, args: argparse.Namespace, by: str, out: TextIO) -> int:
    programme = programme_by_name(session, args.programme)
    if programme is None:
        raise HrCliError(f"unknown programme '{args.programme}'")
    if not args.html and not args.csv:
        raise HrCliError("give --html FILE and/or --csv FILE")
    results = programme_results(session, programme, now)
    if args.html:
        args.html.write_text(render_html(results, args.locale), "utf-8")
        print(f"wrote {args.html}", file=out)
    if args.csv:
        args.csv.write_text(render_csv(results), "utf-8")
        print(f"wrote {args.csv}", file=out)
    audit(session, now, by, "report.export", None, programme=programme.name)
    return 0


def _gdpr(
    session: Session,
    now: datetime,
    args: argparse.Namespace,
    by: str,
    settings: Settings,
    out: TextIO,
    err: TextIO,
    confirm: TextIO,
) -> int:
    if args.gdpr_command == "purge":
        purge = purge_closed_content(session, now, settings.content_retention_days)
        print(
            f"content of {purge.mentorships} closed relationships deleted: "
            f"{purge.check_in_notes} check-in notes, {purge.reflections} reflections, "
            f"{purge.evaluation_texts} evaluation texts",
            file=out,
        )
        return 0
    person = _person(session, args.email)
    if args.gdpr_command == "export":
        data = person_data(session, person)
        content = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        audit(session, now, by, "gdpr.export", person)
        if args.output:
            args.output.write_text(content, "utf-8")
            print(f"wrote {args.output}", file=out)
        else:
            print(content, file=out)
        return 0
    if not args.yes:
        print(
            f"Erase {person.name} <{person.email}>? Their notes, reflections, evaluations and "
            "identities are deleted for good. Type the email again to confirm: ",
            end="",
            file=err,
        )
        answer = confirm.readline().strip().lower()
        if answer != (person.email or "").lower():
            print("not confirmed: nothing was erased", file=err)
            return 1
    email = person.email
    erasure = erase_person(session, now, by, person)
    print(
        f"erased {email}: {erasure.check_ins} check-ins, {erasure.reflections} reflections, "
        f"{erasure.evaluations} evaluations, {erasure.identities} identities deleted; "
        f"{erasure.mentorships_ended} active mentorships ended",
        file=out,
    )
    return 0
