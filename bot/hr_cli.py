"""HR and data-protection subcommands of ``mentorbot``: import, report, gdpr, hr roles.

``bot.cli_parser`` declares them; ``run`` executes one. Every command that reads
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

from bot.cli_parser import HR_COMMANDS
from bot.hr_import import ImportFileError, ImportReport, import_pairs, import_people
from bot.settings import Settings
from conversations.erasure import erase_person, purge_closed_content
from conversations.hr_admin import audit, parse_emails, set_hr, sync_hr_emails
from conversations.report_page import render_html
from conversations.report_pairs import pair_rows
from conversations.results import programme_results, render_csv
from storage.db import transaction
from storage.export import person_data
from storage.models import Person
from storage.queries import person_by_email, programme_by_name

COMMANDS = HR_COMMANDS
PROGRESS_FROM = 1000


class HrCliError(ValueError):
    """A request the CLI refuses; the message says why."""


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
                return _report(session, now, args, by, settings, out)
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


def _report_time(args: argparse.Namespace, settings: Settings, now: datetime) -> datetime:
    """The report's "now": ``--now``, else the application clock (``MENTORBOT_CLOCK_FILE`` when
    set, as the running processes read it), so a demo's past meetings show as past."""
    if getattr(args, "now", None):
        from adapters.console.script import parse_when

        parsed = parse_when(args.now, settings.console_timezone)
        if parsed is None:
            raise HrCliError("--now takes 'YYYY-MM-DD HH:MM'")
        return parsed
    if settings.clock_file:
        from bot.clock import FileClock

        return FileClock(Path(settings.clock_file)).now()
    return now


def _report(
    session: Session,
    now: datetime,
    args: argparse.Namespace,
    by: str,
    settings: Settings,
    out: TextIO,
) -> int:
    programme = programme_by_name(session, args.programme)
    if programme is None:
        raise HrCliError(f"unknown programme '{args.programme}'")
    if not args.html and not args.csv:
        raise HrCliError("give --html FILE and/or --csv FILE")
    now = _report_time(args, settings, now)
    results = programme_results(session, programme, now)
    if args.html:
        page = render_html(
            results,
            args.locale,
            settings.console_timezone,
            pairs=pair_rows(session, programme.id, now),
        )
        args.html.write_text(page, "utf-8")
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
