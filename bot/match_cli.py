"""``mentorbot match``: open matching for a programme, import profiles, see the suggested set.

    mentorbot match open --programme P [--mode hr|auto|self] [--topics "a|b"] [--weight topics=3]
    mentorbot match import profiles.csv [--skip-invalid]
    mentorbot match suggest --programme P [--csv | --json] [--locale fi]

The parser part uses only the standard library (``mentorbot --help`` stays cheap); the
database, numpy and scipy are imported only when a match command runs.

profiles.csv columns (* = required): programme*, email*, role* (actor|mentor), wants, offers
(topics separated by ``|``), languages* (two-letter codes separated by ``|``), meeting_mode
(in person|remote|either), working_days (mon|tue|…), capacity (mentors, 1–3), avoid
(team|line). Read and reported like people.csv: nothing is written unless every row is valid.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.hr_import import ImportReport
    from storage.models import Programme

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

PROFILE_COLUMNS = (
    "programme",
    "email",
    "role",
    "wants",
    "offers",
    "languages",
    "meeting_mode",
    "working_days",
    "capacity",
    "avoid",
)
PROFILE_REQUIRED = ("programme", "email", "role", "languages")


def add_parser(sub: Subparsers) -> None:
    match = sub.add_parser("match", help="matching mentors and actors from their profiles")
    match_sub = match.add_subparsers(dest="match_command", required=True, metavar="ACTION")
    opened = match_sub.add_parser("open", help="open matching for a programme, or change it")
    opened.add_argument("--programme", required=True, help="the programme's name")
    opened.add_argument(
        "--mode",
        choices=("hr", "auto", "self"),
        help="hr: HR reviews the suggestions; auto: proposed at once; self: actors choose",
    )
    opened.add_argument("--topics", help="the programme's topics, separated by |")
    opened.add_argument(
        "--weight",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a score weight (base, topics, meeting, hours, cross_team), 0–10; repeatable",
    )
    imp = match_sub.add_parser(
        "import", help="import matching profiles from a CSV file (validated as a whole first)"
    )
    imp.add_argument("file", metavar="FILE", help="profiles.csv")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="write the valid rows, report the others"
    )
    suggest = match_sub.add_parser(
        "suggest", help="the best set of pairs with reasons, and who is left out and why"
    )
    suggest.add_argument("--programme", required=True, help="the programme's name")
    shape = suggest.add_mutually_exclusive_group()
    shape.add_argument("--csv", action="store_true", help="CSV with a header row")
    shape.add_argument("--json", action="store_true", help="one JSON document")
    suggest.add_argument("--locale", choices=("en", "fi"), default="en", help="reasons' language")
    for parser in (opened, imp, suggest):
        parser.add_argument(
            "--as", dest="as_email", metavar="EMAIL", help="audited as this person (default cli)"
        )


class MatchCliError(ValueError):
    """A request the match commands refuse; the message says why."""


def run(
    args: argparse.Namespace,
    factory: sessionmaker[Session],
    now: datetime,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run one ``match`` subcommand: 0 on success, 1 on input it refuses (one line why)."""
    from bot.hr_import import ImportFileError
    from conversations.matching.service import MatchingError
    from storage.db import transaction

    out, err = out or sys.stdout, err or sys.stderr
    by = args.as_email or "cli"
    try:
        if args.match_command == "import":
            with open(args.file, "rb") as handle:
                data = handle.read()
            with transaction(factory) as session:
                return _import(session, now, data, args.skip_invalid, by, out, err)
        with transaction(factory) as session:
            programme = _programme(session, args.programme)
            if args.match_command == "open":
                return _open(session, now, args, programme, by, out)
            return _suggest(session, now, args, programme, by, out)
    except (MatchCliError, MatchingError, ImportFileError) as error:
        print(f"mentorbot: {error}", file=err)
        return 1


def _programme(session: Session, name: str) -> Programme:
    from storage.queries import programme_by_name

    found = programme_by_name(session, name)
    if found is None:
        raise MatchCliError(f"unknown programme '{name}'")
    return found


def _open(
    session: Session,
    now: datetime,
    args: argparse.Namespace,
    programme: Programme,
    by: str,
    out: TextIO,
) -> int:
    from conversations.matching.model import Weights
    from conversations.matching.proposals import on_open, row_sender
    from conversations.matching.service import open_matching, parse_weights
    from conversations.outbox import insert_ignoring_duplicates

    opened = open_matching(
        session,
        now,
        by,
        programme,
        mode=args.mode,
        topics=args.topics,
        weights=parse_weights(args.weight),
    )
    rows: list[dict[str, Any]] = []
    on_open(session, now, programme, row_sender(rows, now))  # auto: proposed at once
    insert_ignoring_duplicates(session, rows)
    weights = ", ".join(f"{k}={v:g}" for k, v in Weights.of(opened.weights).values.items())
    topics = ", ".join(opened.topics) or "(none yet)"
    print(f"matching of '{programme.name}' is open: mode {opened.mode}", file=out)
    print(f"topics: {topics}", file=out)
    print(f"weights: {weights}", file=out)
    if rows:
        print(f"{len(rows)} message(s) queued: proposals or choices", file=out)
    return 0


def _suggest(
    session: Session,
    now: datetime,
    args: argparse.Namespace,
    programme: Programme,
    by: str,
    out: TextIO,
) -> int:
    from conversations.matching.load import pool
    from conversations.matching.reasons import pair_reasons, unmatched_reason
    from conversations.texts import Texts, strip_user_marks
    from storage.audit import audit

    found = pool(session, programme, now)
    result = found.solve()
    audit(session, now, by, "matching.suggest", programme=programme.name)
    tx = Texts(args.locale)

    def email(person_id: int) -> str:
        return found.people[person_id].email or ""

    pairs = [
        {
            "actor_email": email(p.actor.person_id),
            "actor": p.actor.name,
            "mentor_email": email(p.mentor.person_id),
            "mentor": p.mentor.name,
            "score": round(p.score, 3),
            "parts": {k: round(v, 3) for k, v in p.parts.items()},
            "reasons": strip_user_marks(pair_reasons(tx, p)),
        }
        for p in result.pairs
    ]
    unmatched = [
        {
            "actor_email": email(u.actor.person_id),
            "actor": u.actor.name,
            "rule": u.rule.name.lower(),
            "reason": strip_user_marks(unmatched_reason(tx, u)),
        }
        for u in result.unmatched
    ]
    if args.json:
        document = {
            "programme": programme.name,
            "total_score": round(result.total, 3),
            "pairs": pairs,
            "unmatched": unmatched,
        }
        json.dump(document, out, ensure_ascii=False, indent=2)
        print(file=out)
    elif args.csv:
        _csv(pairs, unmatched, out)
    else:
        _table(programme.name, result.total, pairs, unmatched, out)
    return 0


def _csv(pairs: list[dict[str, Any]], unmatched: list[dict[str, Any]], out: TextIO) -> None:
    from conversations.csv_safe import SafeWriter

    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(
        ["actor_email", "actor", "mentor_email", "mentor", "score", "reasons", "left_out_because"]
    )
    for p in pairs:
        writer.writerow(
            [
                p["actor_email"],
                p["actor"],
                p["mentor_email"],
                p["mentor"],
                p["score"],
                p["reasons"],
                "",
            ]
        )
    for u in unmatched:
        writer.writerow([u["actor_email"], u["actor"], "", "", "", "", u["reason"]])


def _table(
    name: str,
    total: float,
    pairs: list[dict[str, Any]],
    unmatched: list[dict[str, Any]],
    out: TextIO,
) -> None:
    print(f"{name}: {len(pairs)} suggested pair(s), total score {total:.2f}", file=out)
    for p in pairs:
        print(f"  {p['actor']} ← {p['mentor']}  ({p['score']:.2f}): {p['reasons']}", file=out)
    if unmatched:
        print(f"left out: {len(unmatched)}", file=out)
        for u in unmatched:
            print(f"  {u['actor']}: {u['reason']}", file=out)


def _import(
    session: Session,
    now: datetime,
    data: bytes,
    skip_invalid: bool,
    by: str,
    out: TextIO,
    err: TextIO,
) -> int:
    report = import_profiles(session, now, data, skip_invalid=skip_invalid, actor=by)
    for line in report.error_lines():
        print(line, file=err)
    if not report.written:
        print(f"nothing written: {len(report.errors)} invalid row(s) of {report.rows}", file=err)
        return 1
    print(
        f"profiles: {report.created} created, {report.updated} updated"
        + (f", {len(report.errors)} invalid row(s) skipped" if report.errors else ""),
        file=out,
    )
    return 0


def import_profiles(
    session: Session,
    now: datetime,
    data: bytes,
    *,
    skip_invalid: bool = False,
    actor: str = "cli",
) -> ImportReport:
    """Validate every row of a profiles file (as people.csv is validated), then write."""
    from sqlalchemy import select

    from bot.hr_import import ImportReport, read_rows
    from conversations.matching.profile import read_profile
    from conversations.matching.service import save_profile
    from conversations.texts import Texts
    from conversations.validation import is_email
    from storage.audit import audit
    from storage.models import Person, Programme

    rows = read_rows(data, PROFILE_COLUMNS, PROFILE_REQUIRED)
    report = ImportReport(rows=len(rows))
    programmes = {p.name.lower(): p for p in session.scalars(select(Programme))}
    people = {
        p.email.lower(): p for p in session.scalars(select(Person)) if p.email and not p.erased_at
    }
    english = Texts("en")
    seen: dict[tuple[str, str], int] = {}
    todo = []
    for line, row in rows:
        if "__error__" in row:
            report.errors.append((line, row["__error__"]))
            continue
        errors: list[str] = []
        programme = programmes.get(row["programme"].lower())
        if programme is None:
            errors.append(f"unknown programme '{row['programme']}'")
        email = row["email"].lower()
        person = people.get(email)
        if not is_email(email):
            errors.append(f"'{row['email']}' is not an email address")
        elif person is None:
            errors.append(f"unknown person {email}: import people first")
        key = (row["programme"].lower(), email)
        if key in seen:
            errors.append(f"{email} is a duplicate of line {seen[key]}")
        seen.setdefault(key, line)
        values, problems = read_profile(row)
        errors += [english.t(f"matching.{text}", **params) for _f, text, params in problems]
        if errors:
            report.errors.append((line, "; ".join(errors)))
        else:
            assert programme is not None and person is not None
            todo.append((programme, person, values))
    if report.errors and not skip_invalid:
        return report
    for programme, person, values in todo:
        _profile, created = save_profile(session, now, programme, person, values)
        audit(session, now, actor, "matching.profile.import", person, programme=programme.name)
        if created:
            report.created += 1
        else:
            report.updated += 1
    report.written = True
    return report
