"""Names and programme names typed by HR or an admin render literally everywhere: no live
link in a Teams FactSet or a Slack field, no formula in a CSV cell."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.slack.render import blocks_for
from adapters.teams.cards import render
from bot import admin
from conversations.clock import SettableClock
from conversations.csv_safe import cell
from conversations.results import programme_results, render_csv
from conversations.texts import Texts
from storage.db import transaction
from storage.models import Programme
from tests.chat import make_chat, onboard

EVIL_NAME = "[x](https://evil.example)"
EVIL_PROGRAMME = '=HYPERLINK("https://evil.example")'
HR_EMAIL = "hr@example.com"
SUPERVISOR = "boss@example.com"
MENTOR = "evil@example.com"
ACTOR = "actor@example.com"


def _seed(factory: sessionmaker[Session], now: datetime) -> None:
    with transaction(factory) as session:
        admin.create_programme(session, now, EVIL_PROGRAMME, "Grow", admin.ProgrammeFrame())
        admin.add_person(session, now, HR_EMAIL, "Helena Niemi", "en", hr=True)
        admin.add_person(session, now, SUPERVISOR, "Sanna <!channel> Koskinen", "en")
        admin.add_person(session, now, MENTOR, EVIL_NAME, "en")
        admin.add_person(session, now, ACTOR, "Aino *Virtanen*", "en", supervisor_email=SUPERVISOR)
        admin.add_pair(session, now, EVIL_PROGRAMME, MENTOR, ACTOR)


def test_names_in_status_facts_render_literally_on_teams_and_slack(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    _seed(factory, clock.now())
    chat = make_chat(factory, clock.now())
    onboard(chat, [SUPERVISOR, ACTOR])
    chat.say(SUPERVISOR, "status")
    chat.say(ACTOR, "status")
    messages = chat.messages(SUPERVISOR)[-1:] + chat.messages(ACTOR)[-1:]
    assert any(EVIL_NAME in m.plain_text() for m in messages), "the name is shown"

    for message in messages:
        card = json.dumps(render(message, Texts("en")), ensure_ascii=False)
        assert "[x](https://evil.example)" not in card  # escaped: \\[x\\]\\(https…\\)
        slack = json.dumps(blocks_for(message), ensure_ascii=False)
        assert "<https://" not in slack and "<!channel>" not in slack


def test_csv_cells_that_start_a_formula_are_neutralised(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    _seed(factory, clock.now())
    with factory() as session:
        programme = session.scalars(select(Programme)).one()
        text = render_csv(programme_results(session, programme, clock.now()))

    rows = list(csv.reader(io.StringIO(text)))
    assert ["programme", "name", "'" + EVIL_PROGRAMME] in rows
    assert not any(c.startswith(("=", "+", "-", "@")) for row in rows for c in row)


def test_every_formula_start_is_neutralised_and_numbers_stay_numbers() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell(f"{start}1+1") == f"'{start}1+1"
    assert cell(-3) == -3 and cell("Mentoring 2027") == "Mentoring 2027"
