"""The ``mentorbot`` command line."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot import admin, demo, hr_cli
from bot.app import console_session, open_database
from bot.settings import get_settings
from storage.db import transaction, upgrade
from storage.models import Person


def _now() -> datetime:
    return datetime.now(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentorbot",
        description="Mentorbot — a chat companion for workplace mentoring pairs.",
    )
    parser.add_argument(
        "--database-url", help="overrides DATABASE_URL (default sqlite:///mentorbot.db)"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_p = sub.add_parser(
        "serve", help="run the web process (Slack, Teams, calendar feed, /healthz)"
    )
    serve_p.add_argument(
        "--with-clock",
        action="store_true",
        help="also run the clock (sweep + delivery) in this process (embedded default)",
    )
    sub.add_parser(
        "clock",
        help="run the clock: the sweep that queues nudges and the outbox delivery worker",
    )

    outbox = sub.add_parser("outbox", help="the outbox of proactive messages (operators)")
    outbox_sub = outbox.add_subparsers(dest="outbox_command", required=True, metavar="ACTION")
    outbox_sub.add_parser(
        "status", help="counts by status and kind, oldest pending, dead rows with errors"
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
    export.add_argument("email")
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="write the .ics here instead of stdout"
    )
    export.add_argument(
        "--rotate", action="store_true", help="revoke the old feed URL and issue a new one"
    )
    revoke = calendar_sub.add_parser("revoke", help="revoke EMAIL's calendar feed URL")
    revoke.add_argument("email")

    teams = sub.add_parser("teams", help="Microsoft Teams")
    teams_sub = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    package = teams_sub.add_parser(
        "package", help="build the Teams app package (manifest.json + icons) to upload"
    )
    package.add_argument("--out", type=Path, default=Path("mentorbot-teams.zip"), metavar="ZIP")
    package.add_argument(
        "--website", help="https address for the developer links (default MENTORBOT_PUBLIC_URL)"
    )

    db = sub.add_parser("db", help="database schema (alembic migrations)")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply every migration up to the newest")

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

    demo_p = sub.add_parser("demo", help="seed a demo programme and play a whole relationship")
    demo_p.add_argument("--locale", choices=("en", "fi"), default="en")
    demo_p.add_argument(
        "--db",
        type=Path,
        default=Path("mentorbot-demo.db"),
        help="SQLite file to create afresh (default mentorbot-demo.db)",
    )
    demo_p.add_argument(
        "--seed-only",
        action="store_true",
        help="only create the demo people and pair; do not play the scenario",
    )
    demo_p.add_argument(
        "--fresh",
        action="store_true",
        help="with --seed-only: start over even when the database exists (it is kept otherwise)",
    )
    demo_p.add_argument(
        "--hr",
        action="store_true",
        help="play the HR coordinator's and supervisor's scenario instead (English): a "
        "programme and pairs set up in chat, announcements, a workshop, early warnings, an "
        "invitation, the monthly summary and the report",
    )

    programme = sub.add_parser("programme", help="mentoring programmes")
    programme_sub = programme.add_subparsers(
        dest="programme_command", required=True, metavar="ACTION"
    )
    create = programme_sub.add_parser("create", help="create a programme")
    create.add_argument("name")
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
    programme_sub.add_parser("list", help="list programmes")

    people = sub.add_parser("people", help="participants")
    people_sub = people.add_subparsers(dest="people_command", required=True, metavar="ACTION")
    add = people_sub.add_parser("add", help="add a person")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--locale", choices=("en", "fi"), default="en")
    add.add_argument("--timezone", default="Europe/Helsinki")
    add.add_argument("--supervisor", metavar="EMAIL", help="the person's supervisor")
    add.add_argument("--hr", action="store_true", help="an HR coordinator of the programme")

    pairs = sub.add_parser("pairs", help="mentoring pairs")
    pairs_sub = pairs.add_subparsers(dest="pairs_command", required=True, metavar="ACTION")
    pair = pairs_sub.add_parser("add", help="pair a mentor with an actor; both are welcomed")
    pair.add_argument("--programme", required=True)
    pair.add_argument("--mentor", required=True, metavar="EMAIL")
    pair.add_argument("--actor", required=True, metavar="EMAIL")
    hr_cli.add_parsers(sub)  # import, report, gdpr, hr (issue 6)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    url = args.database_url or settings.database_url
    try:
        return _run(args, url)
    except admin.AdminError as err:
        print(f"mentorbot: {err}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, url: str) -> int:
    from adapters.console.script import ScriptError, parse, parse_when, run

    settings = get_settings()
    if args.command == "db":
        upgrade(url)
        print("database is up to date")
        return 0
    if args.command == "demo":
        return _demo(args)
    if args.command == "teams":
        from adapters.teams.manifest import AppInfo, PackageError, build_package

        website = args.website or str(getattr(settings, "public_url", ""))
        try:
            out = build_package(AppInfo(settings.teams_client_id, website), args.out)
        except PackageError as err:
            raise admin.AdminError(str(err)) from err
        print(f"Teams app package written to {out}")
        return 0
    factory = open_database(url)
    hr_cli.startup(factory, settings, _now())  # MENTORBOT_HR_EMAILS → HR role
    if args.command in hr_cli.COMMANDS:
        return hr_cli.run(args, factory, settings, _now())
    if args.command == "serve":
        from bot.clock import build_senders, clock_cleanup_ctx, clock_from_settings
        from bot.web import serve

        clock = clock_from_settings(settings)
        extra = (
            [clock_cleanup_ctx(settings, factory, build_senders(settings), clock)]
            if args.with_clock
            else []
        )
        serve(settings, factory, clock, cleanup_ctx=extra)
        return 0
    if args.command == "clock":
        from bot.clock import main_clock

        return main_clock(settings, factory)
    if args.command in ("outbox", "calendar"):
        from bot.operator import run_operator_command

        return run_operator_command(args, factory, settings, _now())
    if args.command == "console":
        start = _now()
        if args.now:
            parsed = parse_when(args.now, settings.console_timezone)
            if parsed is None:
                raise admin.AdminError("--now takes 'YYYY-MM-DD HH:MM'")
            start = parsed
        if args.resume:
            start = demo.resume_time(factory, start)
        console = console_session(factory, start)
        if args.script:
            try:
                steps = parse(
                    args.script.read_text("utf-8").splitlines(), settings.console_timezone
                )
                run(console, steps)
            except ScriptError as err:
                print(f"mentorbot: {args.script}: {err}", file=sys.stderr)
                return 1
            return 0
        from adapters.console.interactive import run_interactive

        def people() -> list[tuple[str, str]]:
            with factory() as session:
                return [
                    (p.email or "", p.name)
                    for p in session.scalars(
                        select(Person).where(Person.email.is_not(None)).order_by(Person.email)
                    )
                ]

        run_interactive(console, args.as_email, people, settings.console_timezone)
        return 0
    with transaction(factory) as session:
        now = _now()
        if args.command == "programme" and args.programme_command == "create":
            p = admin.create_programme(
                session,
                now,
                args.name,
                args.goals,
                admin.ProgrammeFrame(
                    duration_months=args.duration,
                    meeting_interval_days=args.interval,
                    booking_horizon_months=args.horizon,
                    max_actors_per_mentor=args.max_actors,
                ),
            )
            print(
                f"created programme '{p.name}' ({p.duration_months} months, meetings every "
                f"{p.meeting_interval_days} days)"
            )
        elif args.command == "programme":
            for p, pairs in admin.list_programmes(session):
                print(
                    f"{p.name}\t{p.duration_months} months\tevery {p.meeting_interval_days} "
                    f"days\t{pairs} pairs"
                )
        elif args.command == "people":
            person = admin.add_person(
                session,
                now,
                args.email,
                args.name,
                args.locale,
                args.timezone,
                args.supervisor,
                args.hr,
            )
            print(f"added {person.name} <{person.email}>")
        elif args.command == "pairs":
            m = admin.add_pair(session, now, args.programme, args.mentor, args.actor)
            print(
                f"paired mentor {m.mentor.email} with actor {m.actor.email} in "
                f"'{m.programme.name}'; both will be welcomed"
            )
    return 0


def _demo(args: argparse.Namespace) -> int:
    from adapters.console.script import ScriptError, parse, run

    if args.seed_only and args.db.exists() and not args.fresh:
        print(
            f"resuming the demo in {args.db} — to start over: make run FRESH=1 "
            "(or mentorbot demo --seed-only --fresh)"
        )
        return 0
    if args.db.exists():
        args.db.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{args.db}"
    factory = open_database(url)
    start_wall = time.perf_counter()
    if args.hr:
        demo.seed_people(factory, demo.DEMO_START, "en")
        steps, person, then = demo.hr_scenario(), "helena@demo.example", "2027-03-01 10:00"
    else:
        demo.seed(factory, demo.DEMO_START, args.locale)
        steps, person, then = demo.scenario(args.locale), "aino@demo.example", "2027-07-12 09:00"
    if args.seed_only:
        print(f"a fresh demo programme seeded into {args.db}")
        return 0
    console = console_session(factory, demo.DEMO_START)
    try:
        run(console, parse(steps, "Europe/Helsinki"))
    except ScriptError as err:
        print(f"mentorbot: demo scenario: {err}", file=sys.stderr)
        return 1
    print(
        f"\n(demo finished in {time.perf_counter() - start_wall:.1f} s; the data is in "
        f"{args.db} — try: DATABASE_URL=sqlite:///{args.db} mentorbot console "
        f"--as {person} --now '{then}')"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
