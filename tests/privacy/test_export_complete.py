"""``export my data`` and ``gdpr export`` are complete: every row of the database about the
person is in their export, and nothing of their partner's private content is."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import JSON, String, Text, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.calendar_feed import issue_token
from storage.db import transaction
from storage.export import person_data
from storage.models import Base, Mentorship, Person
from tests.chat import ACTOR, MENTOR, Chat
from tests.privacy.scenario import MARK, play

# Keys and identifiers, not content: an export names rows by what they mean, not by these.
NOT_CONTENT = {"dedupe_key", "uid", "token", "key", "platform_message_id", "event_id", "kind"}
MIN_LEN = 6


def _leaves(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaves(v)]
    if isinstance(value, list):
        return [s for v in value for s in _leaves(v)]
    return [value] if isinstance(value, str) and len(value) >= MIN_LEN else []


def _rows_about(factory: sessionmaker[Session], person_id: int) -> list[tuple[str, str, str]]:
    """(table, column, text) of every content value in rows about the person: rows pointing
    at them, and the shared rows of their pairs (agreement, goals, tasks, meetings, alerts)."""
    out = []
    with factory() as session:
        pairs = list(
            session.scalars(
                select(Mentorship.id).where(
                    (Mentorship.actor_id == person_id) | (Mentorship.mentor_id == person_id)
                )
            )
        )
        for table in Base.metadata.sorted_tables:
            person_cols = [
                c.name
                for c in table.columns
                if any(f.column.table.name == "person" for f in c.foreign_keys)
            ]
            owned_by_person = "person_id" in table.columns
            for row in session.execute(select(table)).mappings():
                mine = any(row[c] == person_id for c in person_cols)
                if table.name == "person":
                    mine = row["id"] == person_id
                elif not owned_by_person and "mentorship_id" in table.columns:
                    mine = mine or row["mentorship_id"] in pairs
                if table.name == "mentorship":
                    mine = row["id"] in pairs
                if not mine:
                    continue
                for column in table.columns:
                    if column.name in NOT_CONTENT:
                        continue
                    if isinstance(column.type, (String, Text, JSON)):
                        out += [(table.name, column.name, s) for s in _leaves(row[column.name])]
    return out


@pytest.mark.parametrize(
    ("email", "own_private", "partners_private"),
    [
        (ACTOR, (MARK.actor[3], MARK.actor[4], MARK.actor[6]), (MARK.mentor[1], MARK.mentor[2])),
        (MENTOR, (MARK.mentor[1], MARK.mentor[2]), (MARK.actor[3], MARK.actor[4], MARK.actor[6])),
    ],
)
def test_the_export_holds_every_row_about_the_person_and_no_private_content_of_the_partner(
    chat: Chat,
    factory: sessionmaker[Session],
    email: str,
    own_private: tuple[str, ...],
    partners_private: tuple[str, ...],
) -> None:
    play(chat, factory)
    chat.say(email, "timezone")  # an open form: a draft
    with transaction(factory) as session:
        person = session.scalars(select(Person).where(Person.email == email)).one()
        issue_token(session, person, chat.console.clock.now())
        person_id = person.id

    with factory() as session:
        person = session.get(Person, person_id)
        assert person is not None
        data = person_data(session, person)
    exported = json.dumps(data, ensure_ascii=False, default=str)

    rows = _rows_about(factory, person_id)
    # positive control: the rows read hold the person's own private content, and so does
    # the export (an empty read of either would make the checks below pass)
    assert {v for _, _, v in rows} >= set(own_private)
    assert [p for p in own_private if p not in exported] == []
    missing = [(t, c, v) for t, c, v in rows if v not in exported]
    assert missing == []
    assert data["drafts"] and data["calendar_feeds"] and data["audit_log"]
    assert data["messages_to_me"] and data["mentorships"][0]["end_reason"] == MARK.hr[0]
    assert [p for p in partners_private if p in exported] == []
