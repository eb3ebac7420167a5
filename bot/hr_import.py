"""``mentorbot import people.csv`` / ``import pairs.csv``: validated as a whole, then written.

Files are UTF-8 (with or without a byte-order mark), separated by ``,`` or ``;`` (detected
from the header line). Every bad row is reported with its line number and reason; nothing is
written unless every row is valid, or ``skip_invalid`` is set (then the valid rows are
written). Re-importing the same file changes nothing: people are matched by email, pairs by
programme + actor.

people.csv columns (header names, any order; * = required):
  email*, name*, locale (en|fi, default en), timezone (IANA, default Europe/Helsinki),
  supervisor_email (someone already stored or in the same file), employment_start and
  returning_from_leave (YYYY-MM-DD), hr (yes/no).
pairs.csv columns: programme*, mentor_email*, actor_email*.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin import explain
from conversations.hr_admin import audit
from conversations.pairing import create_mentorship
from conversations.validation import (
    Invalid,
    PairFacts,
    PairIn,
    PersonIn,
    Problem,
    Reason,
    check_pair,
    parse,
)
from storage.models import ACTIVE_PHASES, Mentorship, Person, Programme

PEOPLE_COLUMNS = (
    "email",
    "name",
    "locale",
    "timezone",
    "supervisor_email",
    "employment_start",
    "returning_from_leave",
    "hr",
)
PEOPLE_REQUIRED = ("email", "name")
PAIRS_COLUMNS = ("programme", "mentor_email", "actor_email")
YES = {"yes", "y", "true", "1", "kyllä", "k"}
NO = {"no", "n", "false", "0", "ei", "e", ""}

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    written: bool = False

    def error_lines(self) -> list[str]:
        return [f"line {line}: {reason}" for line, reason in self.errors]


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


def read_rows(
    data: bytes, columns: tuple[str, ...], required: tuple[str, ...]
) -> list[tuple[int, dict[str, str]]]:
    """Decode, detect the separator, check the header; (line number, row) pairs."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ImportFileError(f"the file is not UTF-8 (byte {err.start})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise ImportFileError("the file is empty") from None
    unknown = [h for h in header if h not in columns]
    missing = [c for c in required if c not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(unknown)}")
        raise ImportFileError(f"line 1: {'; '.join(parts)} (expected: {', '.join(columns)})")
    rows = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            rows.append((line, {"__error__": f"{len(values)} fields, expected {len(header)}"}))
            continue
        rows.append((line, {h: v.strip() for h, v in zip(header, values, strict=True)}))
    return rows


def _emails(session: Session) -> dict[str, Person]:
    return {
        p.email.lower(): p
        for p in session.scalars(select(Person).where(Person.email.is_not(None)))
        if p.email
    }


def import_people(
    session: Session,
    now: datetime,
    data: bytes,
    *,
    skip_invalid: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row of a people file, then create or update the people."""
    rows = read_rows(data, PEOPLE_COLUMNS, PEOPLE_REQUIRED)
    report = ImportReport(rows=len(rows))
    stored = _emails(session)
    in_file: dict[str, int] = {}
    valid: list[tuple[int, dict[str, Any]]] = []
    for line, row in rows:
        errors: list[str] = []
        if "__error__" in row:
            report.errors.append((line, row["__error__"]))
            continue
        hr_value = (row.get("hr") or "").lower()
        if hr_value not in YES | NO:
            errors.append(f"hr '{row.get('hr')}' is not yes or no")
        raw = {
            column: row.get(column, "")
            for column in PEOPLE_COLUMNS
            if column != "hr" and row.get(column, "")
        }
        try:
            given = parse(PersonIn, {**raw, "is_hr": hr_value in YES})
        except Invalid as err:
            errors[:0] = [explain(p, raw) for p in err.problems]
        else:
            if given.email in in_file:
                errors.append(f"{given.email} is a duplicate of line {in_file[given.email]}")
            else:
                in_file[given.email] = line
        if errors:
            report.errors.append((line, "; ".join(errors)))
        else:
            valid.append((line, given.model_dump()))
    known = set(stored) | {v["email"] for _l, v in valid}
    checked: list[dict[str, Any]] = []
    for line, values in valid:
        sup = values["supervisor_email"]
        if sup and sup not in known:
            report.errors.append((line, f"unknown supervisor {sup}: add them first"))
        else:
            checked.append(values)
    report.errors.sort()
    if report.errors and not skip_invalid:
        return report
    total = len(checked)
    touched: list[tuple[Person, str]] = []
    for i, values in enumerate(checked, 1):
        person = stored.get(values["email"])
        fields = {
            k: values[k]
            for k in ("name", "locale", "timezone", "employment_start", "returning_from_leave")
        }
        if person is None:
            person = Person(email=values["email"], created_at=now, is_hr=values["is_hr"], **fields)
            session.add(person)
            stored[values["email"]] = person
            touched.append((person, "created"))
        else:
            changed = [k for k, v in fields.items() if getattr(person, k) != v]
            if values["is_hr"] and not person.is_hr:
                person.is_hr = True
                changed.append("hr")
            for k in changed:
                if k != "hr":
                    setattr(person, k, fields[k])
            touched.append((person, "updated" if changed else "unchanged"))
        if progress and (i % 500 == 0 or i == total):
            progress(i, total)
    session.flush()
    for (person, state), values in zip(touched, checked, strict=True):
        sup = values["supervisor_email"]
        sup_id = stored[sup].id if sup else person.supervisor_id
        if sup and person.supervisor_id != sup_id:
            person.supervisor_id = sup_id
            if state == "unchanged":
                state = "updated"
        if state == "created":
            report.created += 1
        elif state == "updated":
            report.updated += 1
        else:
            report.unchanged += 1
            continue
        audit(session, now, actor, f"person.import.{state}", person)
    session.flush()
    report.written = True
    return report


def import_pairs(
    session: Session,
    now: datetime,
    data: bytes,
    *,
    skip_invalid: bool = False,
    actor: str = "cli",
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row of a pairs file, then pair (both parties are welcomed)."""
    rows = read_rows(data, PAIRS_COLUMNS, PAIRS_COLUMNS)
    report = ImportReport(rows=len(rows))
    people = _emails(session)
    programmes = {p.name.lower(): p for p in session.scalars(select(Programme))}
    active = {
        (m.programme_id, m.actor_id): m.mentor_id
        for m in session.scalars(
            select(Mentorship).where(Mentorship.phase.in_([p.value for p in ACTIVE_PHASES]))
        )
    }
    seen: dict[tuple[int, str], int] = {}
    todo: list[tuple[Programme, Person, Person]] = []
    for line, row in rows:
        if "__error__" in row:
            report.errors.append((line, row["__error__"]))
            continue
        try:
            wanted = parse(PairIn, row)
        except Invalid as err:
            report.errors.append((line, "; ".join(explain(p, row) for p in err.problems)))
            continue
        errors: list[str] = []
        programme = programmes.get(wanted.programme.lower())
        if programme is None:
            errors.append(f"unknown programme '{row['programme']}'")
        found: dict[str, Person] = {}
        for column, email in (
            ("mentor_email", wanted.mentor_email),
            ("actor_email", wanted.actor_email),
        ):
            if email not in people or people[email].erased_at is not None:
                errors.append(f"unknown person {email} ({column}): import people first")
            else:
                found[column] = people[email]
        mentor, actor_person = found.get("mentor_email"), found.get("actor_email")
        if mentor and actor_person:
            current = active.get((programme.id, actor_person.id)) if programme else None
            if current != mentor.id:  # the same pair again is unchanged, not refused
                facts = PairFacts(mentor.id, actor_person.id, actor_person.supervisor_id, current)
                words = {**row, "programme": programme.name if programme else ""}
                errors += [_pair_words(reason, words) for reason in check_pair(facts)]
        if programme and mentor and actor_person and not errors:
            key = (programme.id, actor_person.email or "")
            if key in seen:
                errors.append(f"actor {actor_person.email} is a duplicate of line {seen[key]}")
            else:
                seen[key] = line
                if active.get((programme.id, actor_person.id)) == mentor.id:
                    report.unchanged += 1
                else:
                    todo.append((programme, mentor, actor_person))
        if errors:
            report.errors.append((line, "; ".join(errors)))
    if report.errors and not skip_invalid:
        report.unchanged = 0
        return report
    for i, (programme, mentor, actor_person) in enumerate(todo, 1):
        m = create_mentorship(session, now, programme, mentor, actor_person)
        audit(
            session,
            now,
            actor,
            "pair.import",
            actor_person,
            mentor=mentor.email,
            programme=programme.name,
            mentorship_id=m.id,
        )
        report.created += 1
        if progress and (i % 200 == 0 or i == len(todo)):
            progress(i, len(todo))
    report.written = True
    return report


def _pair_words(reason: Reason, values: dict[str, str]) -> str:
    if reason == Reason.ALREADY_PAIRED:  # a file may be re-imported: say what to do instead
        return (
            f"{values['actor_email']} already has another active mentor in "
            f"'{values['programme']}': end that pair first"
        )
    return explain(Problem("", reason), values)
