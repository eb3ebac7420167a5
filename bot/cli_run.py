"""The commands of ``mentorbot`` that run processes or change programmes, people and pairs.

``bot.cli`` imports this module only for these commands, so the light ones stay light.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bot.errors import AdminError
from bot.settings import Settings
from storage.db import transaction


def run(
    args: argparse.Namespace, factory: sessionmaker[Session], settings: Settings, now: datetime
) -> int:
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
    if args.command == "console":
        return console(args, factory, settings, now)
    if args.command == "programme":
        return programme(args, factory, now)
    if args.command == "people":
        return people(args, factory, now)
    return pairs(args, factory, now)


def teams_package(args: argparse.Namespace, settings: Settings) -> int:
    from adapters.teams.manifest import AppInfo, PackageError, build_package

    website = args.website or settings.public_url
    try:
        out = build_package(AppInfo(settings.teams_client_id, website), args.out)
    except PackageError as err:
        raise AdminError(str(err)) from err
    print(f"Teams app package written to {out}")
    return 0


def programme(args: argparse.Namespace, factory: sessionmaker[Session], now: datetime) -> int:
    with transaction(factory) as session:
        if args.programme_command == "create":
            from bot import admin

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
            return 0
        from bot.directory_admin import programmes_listing

        listing = programmes_listing(session)
    print(listing.render(args.format))
    return 0


def people(args: argparse.Namespace, factory: sessionmaker[Session], now: datetime) -> int:
    from bot import directory_admin as directory

    by = getattr(args, "as_email", None) or "cli"
    with transaction(factory) as session:
        if args.people_command == "add":
            from bot import admin

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
            return 0
        if args.people_command == "update":
            changes = directory.PersonChanges(
                name=args.name,
                locale=args.locale,
                timezone=args.timezone,
                supervisor=args.supervisor,
                employment_start=args.employment_start,
                returning_from_leave=args.returning_from_leave,
                hr=None if args.hr is None else args.hr == "yes",
            )
            changed = directory.update_person(session, now, by, args.email, changes)
            print(
                f"updated {args.email}: {', '.join(changed)}"
                if changed
                else f"nothing changed for {args.email}"
            )
            return 0
        if args.people_command == "show":
            record = directory.person_record(session, now, by, args.email)
            text = (
                json.dumps(record, ensure_ascii=False, indent=2)
                if args.format == "json"
                else directory.record_listing(record).render(args.format)
            )
        else:
            text = directory.people_listing(session, now, by).render(args.format)
    print(text)
    return 0


def pairs(args: argparse.Namespace, factory: sessionmaker[Session], now: datetime) -> int:
    from bot import directory_admin as directory

    by = getattr(args, "as_email", None) or "cli"
    with transaction(factory) as session:
        if args.pairs_command == "add":
            from bot import admin

            m = admin.add_pair(session, now, args.programme, args.mentor, args.actor)
            print(
                f"paired mentor {m.mentor.email} with actor {m.actor.email} in "
                f"'{m.programme.name}'; both will be welcomed"
            )
            return 0
        if args.pairs_command == "end":
            m = directory.end_pair(session, now, by, args.pair, args.reason)
            print(
                f"ended pair {m.id} (mentor {m.mentor.email}, actor {m.actor.email}); future "
                "meetings are cancelled and both are told"
            )
            return 0
        listing = directory.pairs_listing(session, now, by, args.programme, args.phase)
    print(listing.render(args.format))
    return 0


def console(
    args: argparse.Namespace, factory: sessionmaker[Session], settings: Settings, now: datetime
) -> int:
    from sqlalchemy import select

    from adapters.console.script import ScriptError, parse, parse_when
    from adapters.console.script import run as play
    from bot.app import console_session
    from storage.models import Person

    start = now
    if args.now:
        parsed = parse_when(args.now, settings.console_timezone)
        if parsed is None:
            raise AdminError("--now takes 'YYYY-MM-DD HH:MM'")
        start = parsed
    if args.resume:
        from bot.demo import resume_time

        start = resume_time(factory, start)
    lines = args.script.read_text("utf-8").splitlines() if args.script else []
    session = console_session(factory, start)
    if args.script:
        try:
            play(session, parse(lines, settings.console_timezone))
        except ScriptError as err:
            print(f"mentorbot: {args.script}: {err}", file=sys.stderr)
            return 1
        return 0
    from adapters.console.interactive import run_interactive

    def everyone() -> list[tuple[str, str]]:
        with factory() as db:
            return [
                (p.email or "", p.name)
                for p in db.scalars(
                    select(Person).where(Person.email.is_not(None)).order_by(Person.email)
                )
            ]

    run_interactive(session, args.as_email, everyone, settings.console_timezone)
    return 0


def demo(args: argparse.Namespace) -> int:
    from adapters.console.script import ScriptError, parse
    from adapters.console.script import run as play
    from bot import demo as scenarios
    from bot.app import console_session

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
    from bot.cli import open_database

    factory = open_database(url)
    start_wall = time.perf_counter()
    if args.hr:
        scenarios.seed_people(factory, scenarios.DEMO_START, "en")
        steps = scenarios.hr_scenario()
        person, then = "helena@demo.example", "2027-07-05 10:00"
    else:
        scenarios.seed(factory, scenarios.DEMO_START, args.locale)
        steps = scenarios.scenario(args.locale)
        person, then = "aino@demo.example", "2027-07-12 09:00"
    if args.seed_only:
        print(f"a fresh demo programme seeded into {args.db}")
        return 0
    session = console_session(factory, scenarios.DEMO_START)
    try:
        play(session, parse(steps, "Europe/Helsinki"))
    except ScriptError as err:
        print(f"mentorbot: demo scenario: {err}", file=sys.stderr)
        return 1
    print(
        f"\n(demo finished in {time.perf_counter() - start_wall:.1f} s; the data is in "
        f"{args.db} — try: {_mentorbot()} --database-url sqlite:///{args.db} console "
        f"--as {person} --now '{then}')"
    )
    return 0


def _mentorbot() -> str:
    """How to call this very ``mentorbot`` again: its path unless it is on ``PATH``."""
    import shutil

    here = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if here is not None and here.name == "mentorbot":
        found = shutil.which("mentorbot")
        if found is not None and Path(found).resolve() == here.resolve():
            return "mentorbot"
        return str(here)
    return "mentorbot"
