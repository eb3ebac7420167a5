"""`make run` as a person meets it: the real `mentorbot` commands in a pseudo-terminal.

Aino (in Finnish) and Mikko play the first weeks of their mentoring by typing, as people
would: numbers for buttons, Enter to keep a value, Finnish option labels, a bare hour, a
near miss, a greeting, /cancel, a long conversation before a form, and Ctrl-C and Ctrl-D.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from storage.db import make_engine, make_session_factory
from storage.models import Agreement, CheckIn, Goal, Meeting, MeetingStatus, Task
from tests.terminal import Terminal

AINO = "aino@demo.example"
MIKKO = "mikko@demo.example"
BIN = Path(sys.executable).parent
FORM_SHOWN = re.compile(r"📝 ([^\n—]+)\n")
FORM_ASKED = re.compile(r"📝 (.+?) — (?:field by field|kenttä kerrallaan)")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MENTORBOT_")}
    env.pop("DATABASE_URL", None)
    return {**env, "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "TERM": "dumb"}


def _seed(db: Path, *extra: str) -> str:
    done = subprocess.run(
        [str(BIN / "mentorbot"), "demo", "--seed-only", "--db", str(db), *extra],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    return done.stdout


def _console(db: Path) -> Terminal:
    argv = [str(BIN / "mentorbot"), "--database-url", f"sqlite:///{db}", "console"]
    argv += ["--as", AINO, "--now", "2027-01-11 09:00", "--resume"]
    return Terminal(argv, _env(), db.parent)


class Person:
    """Types as one person and answers what the console asks."""

    def __init__(self, term: Terminal, email: str) -> None:
        self.term, self.email = term, email

    def prompt(self) -> str:
        """Wait for the console's own prompt; return what was printed before it."""
        start = self.term.position
        found = self.term.expect(re.escape(f"[{self.email}] > "))
        return self.term.transcript[start : found.start()]

    def say(self, line: str) -> str:
        """Type ``line`` at the console prompt; return the reply, up to the next prompt or
        the first question of a form."""
        self.term.type(line)
        start = self.term.position
        found = self.term.expect(
            rf"\[{re.escape(self.email)}\] > |(?:field by field|kenttä kerrallaan)[^\n]*\n"
        )
        return self.term.transcript[start : found.start()]

    def answer(self, label: str, value: str) -> str:
        """Answer the form's question ``label`` (a regex) with ``value``."""
        start = self.term.position
        self.term.expect(label)
        self.term.expect(r"\] > ")
        shown = self.term.transcript[start : self.term.position]
        self.term.type(value)
        return shown

    def button(self, label: str, screen: str) -> str:
        """The number shown for the button ``label`` on ``screen``."""
        numbers = re.findall(rf"\[(\d+)\] {re.escape(label)}", screen)
        assert len(numbers) == 1, f"button {label!r} should be shown once:\n{screen}"
        return numbers[0]


def _every_form_asked(transcript: str) -> tuple[int, int]:
    """(forms shown, forms asked field by field) — each shown form is asked right after."""
    return len(FORM_SHOWN.findall(transcript)), len(FORM_ASKED.findall(transcript))


def test_a_person_plays_the_first_weeks_by_typing_and_every_form_is_asked_field_by_field(
    tmp_path: Path,
) -> None:
    db = tmp_path / "mentorbot-demo.db"
    assert "a fresh demo programme" in _seed(db)
    term = _console(db)
    aino = Person(term, AINO)

    # The first minute: a status line, the bot's introduction, numbers that name one button.
    first = aino.prompt()
    assert "── You are Aino Virtanen <aino@demo.example>" in first
    assert "didn't understand" not in first
    assert "[1] Suomi   [2] English" in first
    assert aino.button("Propose goals", first) == "3"  # not a second [1] under the language
    aino.term.type("1")
    shown = aino.answer("Aikavyöhyke", "")  # Enter keeps Europe/Helsinki
    assert "kenttä kerrallaan" in shown and "/peruuta" in shown
    screen = aino.prompt()
    assert "Aktorina" in screen

    # Near misses and greetings are understood.
    assert "Tarkoititko *status*?" in aino.say("staus")
    assert "Vaihe" in aino.say("Tila?")
    greeted = aino.say("moi")
    assert "Hei Aino!" in greeted
    goals = aino.button("Ehdota tavoitteita", greeted)

    # /cancel leaves the form and nothing is saved.
    aino.term.type(goals)
    aino.answer("Tavoite 1", "/peruuta")
    left = aino.prompt()
    assert "Jätit lomakkeen" in left
    with make_session_factory(make_engine(f"sqlite:///{db}"))() as session:
        assert session.scalars(select(Goal)).all() == []

    # A long conversation: the form that comes after it is still asked field by field.
    assert "Tavoitteita ei ole vielä" in aino.say("sopimus")
    for _ in range(16):
        screen = aino.say("tila")
        assert "Vaihe" in screen
    aino.term.type(aino.button("Ehdota tavoitteita", screen))
    aino.answer("Tavoite 1", "Johdan tiimin viikkosuunnittelua")
    aino.answer("Miltä onnistuminen näyttäisi", "Vedän palaverin itse")
    for label in ("Tavoite 2", "Miltä onnistuminen", "Tavoite 3", "Miltä onnistuminen"):
        aino.answer(label, "")
    asked = aino.answer("Kesto kuukausina", "6")  # the option 6, not the sixth option (8)
    assert "(3–12) [6]" in asked
    aino.answer("esihenkilölle", "Ei")  # the Finnish label of "no"
    saved = aino.prompt()
    assert "Johdan tiimin viikkosuunnittelua" in saved and "Jotkin vastaukset" not in saved

    # Mikko joins in English and accepts.
    term.type(f"/as {MIKKO}")
    mikko = Person(term, MIKKO)
    screen = mikko.prompt()
    term.type(mikko.button("English", screen))
    mikko.answer("Timezone", "")
    screen = mikko.prompt()
    screen += mikko.say("agreement")
    assert "6 months" in screen or "6 kk" in screen
    term.type(mikko.button("Accept", screen))
    mikko.prompt()

    # Aino accepts and books the series at a bare hour.
    term.type(f"/as {AINO}")
    screen = aino.prompt()
    screen += aino.say("sopimus")
    term.type(aino.button("Hyväksy", screen))
    screen = aino.prompt()
    term.type(aino.button("Suunnittele tapaamiset", screen))
    aino.answer("Ensimmäisen tapaamisen päivä", "19.1.2027")
    aino.answer("Kellonaika", "13")
    screen = aino.prompt()
    assert "13.00" in screen
    term.type(aino.button("Varaa nämä tapaamiset", screen))
    aino.prompt()

    # After the first meeting, a rating of 4 is a rating, not a button of an older message.
    term.type("/time 2027-01-19 16:00")
    aino.prompt()
    aino.say("kirjaa")
    aino.answer("Toteutuiko tapaaminen", "kyllä")
    aino.answer("Kuinka hyödyllinen", "4")
    aino.answer("Miten yhteistyönne", "4")
    aino.answer("Seuraava välitehtävä", "Tee viikkopalaverin asialista")
    aino.answer("muistiinpano", "")
    recorded = aino.prompt()
    assert "Siirrä tapaaminen" not in recorded and "Jotkin vastaukset" not in recorded

    # Mikko checks in too, in English, and moves meeting 2 to a bare hour.
    term.type(f"/as {MIKKO}")
    mikko.prompt()
    mikko.say("check-in")
    mikko.answer("Did the meeting happen", "Yes")
    mikko.answer("How useful", "5")
    mikko.answer("How well do you", "4")
    mikko.answer("The next intermediate task", "")
    mikko.answer("A private note", "Aino is ready for more challenge.")
    mikko.prompt()
    screen = mikko.say("schedule")
    term.type(mikko.button("Move meeting 2", screen))
    mikko.answer("New date", "2027-02-03")
    mikko.answer("New time", "9.30")
    moved = mikko.prompt()
    assert "Some answers need another look" not in moved
    assert "9:30" in moved or "09:30" in moved
    term.type(f"/as {AINO}")
    aino.prompt()
    assert "Vaihe" in aino.say("tila")

    # Ctrl-C in the middle of a form ends the console cleanly.
    aino.say("pohdi")
    term.expect(r"\] > ")
    term.control("c")
    assert term.wait() == 0
    assert "Traceback" not in term.transcript
    assert "Hei hei." in term.transcript[-200:]  # the goodbye in the person's language

    (tmp_path / "transcript.txt").write_text(term.transcript, "utf-8")
    typed = len(term.typed)
    shown, asked = _every_form_asked(term.transcript)
    assert typed >= 60, typed
    assert shown == asked, (shown, asked)

    engine = make_engine(f"sqlite:///{db}")
    with make_session_factory(engine)() as session:
        agreement = session.scalars(select(Agreement)).one()
        assert agreement.duration_months == 6
        assert agreement.share_goals_with_supervisor is False
        meetings = session.scalars(select(Meeting).order_by(Meeting.seq)).all()
        assert [m.scheduled_at.hour for m in (meetings[0], meetings[2])] == [11, 11]  # 13.00
        assert meetings[0].status == MeetingStatus.HELD
        assert meetings[3].status == MeetingStatus.PLANNED and meetings[3].rescheduled_at is None
        moved = meetings[1].scheduled_at
        assert (moved.day, moved.hour, moved.minute) == (3, 7, 30)  # 9.30 in Helsinki
        ratings = {(c.usefulness, c.rapport) for c in session.scalars(select(CheckIn))}
        assert ratings == {(4, 4), (5, 4)}
        assert [t.text for t in session.scalars(select(Task))] == ["Tee viikkopalaverin asialista"]

    # The next `make run` resumes where the play stopped; Ctrl-D ends it cleanly.
    assert "resuming the demo" in _seed(db)
    again = _console(db)
    screen = Person(again, AINO).prompt()
    assert "19.1.2027" in screen or "ti 19.1.2027" in screen
    again.control("d")
    assert again.wait() == 0
    assert "Traceback" not in again.transcript
