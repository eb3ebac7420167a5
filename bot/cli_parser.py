"""The ``mentorbot`` argument parser: every command, option and help text, nothing else.

It imports only the standard library, so ``mentorbot --help`` and ``--version`` answer at
once and every command pays only for what it runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.match_cli import add_parser as add_match_parser

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

HR_COMMANDS = ("import", "report", "gdpr", "hr")
FORMATS = ("table", "csv", "json")
PHASES = ("start", "development", "closing", "closed", "cancelled")


class VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mentorbot")
        except PackageNotFoundError:  # a checkout that was never installed
            found = "(not installed)"
        print(f"mentorbot {found}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="Mentorbot — a chat companion for workplace mentoring pairs.",
    )
    parser.add_argument("--version", action=VersionAction, help="print the version and exit")
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help="overrides DATABASE_URL (default sqlite:///mentorbot.db)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _processes(sub)
    _operator(sub)
    _console_and_demo(sub)
    _programmes_people_pairs(sub)
    _hr(sub)
    add_match_parser(sub)
    return parser


def _processes(sub: Subparsers) -> None:
    serve = sub.add_parser(
        "serve", help="run the web process (Slack, Teams, calendar feed, /healthz)"
    )
    serve.add_argument(
        "--with-clock",
        action="store_true",
        help="also run the clock (sweep + delivery) in this process (embedded default)",
    )
    sub.add_parser(
        "clock",
        help="run the clock: the sweep that queues nudges and the outbox delivery worker",
    )
    db = sub.add_parser("db", help="database schema (alembic migrations)")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration up to the newest")
    sub.add_parser(
        "doctor",
        help="check the configuration: database, migrations, tokens, public URL, Slack and "
        "Teams credentials; says what to fix",
    )


def _operator(sub: Subparsers) -> None:
    outbox = sub.add_parser("outbox", help="the outbox of proactive messages (operators)")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    outbox_sub.add_parser(
        "status",
        help="counts by status and kind, the oldest pending row, stuck and dead rows with "
        "their stored errors",
    )
    retry = outbox_sub.add_parser("retry", help="send failed rows again")
    retry.add_argument(
        "--dead", action="store_true", required=True, help="every dead row, with fresh attempts"
    )

    calendar = sub.add_parser("calendar", help="a person's meeting calendar")
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    export = calendar_sub.add_parser(
        "export", help="print EMAIL's meetings as iCalendar and their secret feed URL"
    )
    export.add_argument("email", metavar="EMAIL", help="the person's email")
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="write the .ics here instead of stdout"
    )
    export.add_argument(
        "--rotate", action="store_true", help="revoke the old feed URL and issue a new one"
    )
    revoke = calendar_sub.add_parser("revoke", help="revoke EMAIL's calendar feed URL")
    revoke.add_argument("email", metavar="EMAIL", help="the person's email")

    teams = sub.add_parser("teams", help="Microsoft Teams")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    package = teams_sub.add_parser(
        "package", help="build the Teams app package (manifest.json + icons) to upload"
    )
    package.add_argument(
        "--out",
        type=Path,
        default=Path("mentorbot-teams.zip"),
        metavar="ZIP",
        help="where to write the package (default mentorbot-teams.zip)",
    )
    package.add_argument(
        "--website", help="https address for the developer links (default MENTORBOT_PUBLIC_URL)"
    )


def _console_and_demo(sub: Subparsers) -> None:
    console = sub.add_parser("console", help="talk to Mentorbot in the terminal")
    who = console.add_mutually_exclusive_group(required=True)
    who.add_argument("--as", dest="as_email", metavar="EMAIL", help="chat interactively as EMAIL")
    who.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="play a transcript file and print the conversation",
    )
    console.add_argument(
        "--now",
        metavar="'YYYY-MM-DD HH:MM'",
        help="start the simulated clock here (console timezone)",
    )
    console.add_argument(
        "--resume",
        action="store_true",
        help="start the clock where this database's simulated time left off (not before --now)",
    )

    demo = sub.add_parser("demo", help="seed a demo programme and play a whole relationship")
    demo.add_argument(
        "--locale", choices=("en", "fi"), default="en", help="the scenario's language"
    )
    demo.add_argument(
        "--db",
        type=Path,
        default=Path("mentorbot-demo.db"),
        help="SQLite file to create afresh (default mentorbot-demo.db)",
    )
    demo.add_argument(
        "--seed-only",
        action="store_true",
        help="only create the demo people and pair; do not play the scenario",
    )
    demo.add_argument(
        "--fresh",
        action="store_true",
        help="with --seed-only: start over even when the database exists (it is kept otherwise)",
    )
    demo.add_argument(
        "--hr",
        action="store_true",
        help="play the HR coordinator's and supervisor's scenario instead (English): a "
        "programme and pairs set up in chat, announcements, a workshop, early warnings, an "
        "invitation, the monthly summary and the report",
    )


def _format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table with a header (default), csv with a header row, or a json list",
    )


def _audited_as(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_email", metavar="EMAIL", help="audited as this person (default cli)"
    )


def _programmes_people_pairs(sub: Subparsers) -> None:
    programme = sub.add_parser("programme", help="mentoring programmes")
    programme_sub = programme.add_subparsers(
        dest="programme_command", required=True, metavar="ACTION"
    )
    create = programme_sub.add_parser("create", help="create a programme")
    create.add_argument("name", help="the programme's name, unique")
    create.add_argument("--goals", default="", help="the organisation's goals for it")
    create.add_argument("--duration", type=int, default=6, help="default months (3–12)")
    create.add_argument("--interval", type=int, default=14, help="days between meetings")
    create.add_argument(
        "--horizon",
        type=int,
        help="months booked ahead (default 3, or 6 for relationships of 6+ months)",
    )
    create.add_argument(
        "--max-actors", type=int, default=2, help="actors one mentor may have at once"
    )
    _format(programme_sub.add_parser("list", help="list programmes"))

    people = sub.add_parser("people", help="participants")
    people_sub = people.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    add = people_sub.add_parser("add", help="add a person")
    add.add_argument("email", metavar="EMAIL", help="their work email (how chat finds them)")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument("--locale", choices=("en", "fi"), default="en", help="language")
    add.add_argument("--timezone", default="Europe/Helsinki", help="IANA timezone")
    add.add_argument("--supervisor", metavar="EMAIL", help="the person's supervisor")
    add.add_argument("--hr", action="store_true", help="an HR coordinator of the programme")
    people_list = people_sub.add_parser("list", help="everyone, with role and supervisor")
    _format(people_list)
    _audited_as(people_list)
    show = people_sub.add_parser(
        "show", help="one person: details, chat accounts and relationships (never content)"
    )
    show.add_argument("email", metavar="EMAIL", help="the person's email")
    _format(show)
    _audited_as(show)
    update = people_sub.add_parser(
        "update", help="change a person's details (only the options given change)"
    )
    update.add_argument("email", metavar="EMAIL", help="the person's email")
    update.add_argument("--name", help="full name")
    update.add_argument("--locale", choices=("en", "fi"), help="language")
    update.add_argument("--timezone", help="IANA timezone, e.g. Europe/Helsinki")
    update.add_argument(
        "--supervisor", metavar="EMAIL", help="the person's supervisor ('none' removes it)"
    )
    update.add_argument(
        "--employment-start",
        metavar="YYYY-MM-DD",
        help="first day of employment, for the new-employee invitation ('none' clears it)",
    )
    update.add_argument(
        "--returning-from-leave",
        metavar="YYYY-MM-DD",
        help="day back from a long absence, for the invitation ('none' clears it)",
    )
    update.add_argument(
        "--hr", choices=("yes", "no"), help="grant or revoke the HR coordinator role"
    )
    _audited_as(update)

    pairs = sub.add_parser("pairs", help="mentoring pairs")
    pairs_sub = pairs.add_subparsers(dest="pairs_command", required=True, metavar="ACTION")
    pair = pairs_sub.add_parser("add", help="pair a mentor with an actor; both are welcomed")
    pair.add_argument("--programme", required=True, help="the programme's name")
    pair.add_argument("--mentor", required=True, metavar="EMAIL", help="the mentor's email")
    pair.add_argument("--actor", required=True, metavar="EMAIL", help="the actor's email")
    pairs_list = pairs_sub.add_parser("list", help="pairs with phase and meetings")
    pairs_list.add_argument("--programme", help="only this programme's pairs")
    pairs_list.add_argument("--phase", choices=PHASES, help="only pairs in this phase")
    _format(pairs_list)
    _audited_as(pairs_list)
    end = pairs_sub.add_parser(
        "end",
        help="end an active pair early: future meetings cancelled, both told (as in chat)",
    )
    end.add_argument("pair", type=int, metavar="PAIR", help="the pair's id from 'pairs list'")
    end.add_argument("--reason", required=True, help="why it ends (1–500 characters; kept for HR)")
    _audited_as(end)


def _hr(sub: Subparsers) -> None:
    """``import``, ``report``, ``gdpr`` and ``hr``, run by ``bot.hr_cli``."""
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
    _audited_as(imp)

    rep = sub.add_parser("report", help="a programme's results: HTML with charts and/or CSV")
    rep.add_argument("--programme", required=True, help="the programme's name")
    rep.add_argument("--html", type=Path, metavar="FILE", help="one self-contained HTML file")
    rep.add_argument("--csv", type=Path, metavar="FILE", help="section,metric,value rows")
    rep.add_argument(
        "--locale", choices=("en", "fi"), default="en", help="language of the HTML report"
    )
    rep.add_argument(
        "--now",
        metavar="'YYYY-MM-DD HH:MM'",
        help="the report's moment (console timezone; default: the application clock), e.g. "
        "where a demo's simulated time left off",
    )
    _audited_as(rep)

    gdpr = sub.add_parser("gdpr", help="data protection: export, erase, retention purge")
    gdpr_sub = gdpr.add_subparsers(dest="gdpr_command", required=True, metavar="ACTION")
    exp = gdpr_sub.add_parser("export", help="everything stored about EMAIL, as JSON")
    exp.add_argument("email", metavar="EMAIL", help="the person's email")
    exp.add_argument("--output", type=Path, metavar="FILE", help="write here, not to stdout")
    _audited_as(exp)
    erase = gdpr_sub.add_parser(
        "erase", help="delete EMAIL's content and identities, keeping anonymous counts"
    )
    erase.add_argument("email", metavar="EMAIL", help="the person's email")
    erase.add_argument("--yes", action="store_true", help="confirm without asking")
    _audited_as(erase)
    gdpr_sub.add_parser(
        "purge",
        help="delete the content of relationships closed longer ago than "
        "MENTORBOT_CONTENT_RETENTION_DAYS (the sweep does this too)",
    )

    hr = sub.add_parser("hr", help="the HR role")
    hr_sub = hr.add_subparsers(dest="hr_command", required=True, metavar="ACTION")
    for name, text in (("grant", "give EMAIL the HR role"), ("revoke", "take the HR role")):
        p = hr_sub.add_parser(name, help=text)
        p.add_argument("email", metavar="EMAIL", help="the person's email")
        _audited_as(p)
