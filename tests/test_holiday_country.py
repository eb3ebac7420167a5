"""Messages outside any one pair follow the programmes' holiday country, not a hard-coded
Finland: HR's weekly digest waits for the first working day where the programmes are."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import run_sweep
from conversations.programmes import holiday_country
from storage.models import DEFAULT_HOLIDAY_COUNTRY, Outbox, Programme
from testsupport.seed import seed_pairs

HELSINKI = ZoneInfo("Europe/Helsinki")
# Monday 6 December 2027: Finland's Independence Day, a working day in Sweden
INDEPENDENCE_DAY = datetime(2027, 12, 6, 10, 0, tzinfo=HELSINKI)


def _digests(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Outbox.dedupe_key).where(Outbox.kind == "hr.digest")))


@pytest.mark.parametrize(("country", "due_on_monday"), [("FI", False), ("SE", True)])
def test_the_hr_digest_waits_for_the_first_working_day_of_the_programmes_country(
    db_engine: Engine, factory: sessionmaker[Session], country: str, due_on_monday: bool
) -> None:
    seed_pairs(db_engine, 2, INDEPENDENCE_DAY - timedelta(days=3))
    with factory() as session, session.begin():
        session.execute(update(Programme).values(holiday_country=country))

    run_sweep(factory, INDEPENDENCE_DAY)
    assert bool(_digests(factory)) is due_on_monday
    run_sweep(factory, INDEPENDENCE_DAY + timedelta(days=1))
    assert [key.split(":")[-1] for key in _digests(factory)] == ["2027-W49"]


def test_the_organisation_holiday_country_is_the_one_most_programmes_use(
    factory: sessionmaker[Session],
) -> None:
    with factory() as session, session.begin():
        assert holiday_country(session) == DEFAULT_HOLIDAY_COUNTRY
        now = INDEPENDENCE_DAY
        for name, country in (("A", "SE"), ("B", "SE"), ("C", "FI")):
            session.add(Programme(name=name, goals="", holiday_country=country, created_at=now))
        session.flush()
        c = session.scalars(select(Programme.id).where(Programme.name == "C")).one()
        assert holiday_country(session) == "SE"
        assert holiday_country(session, c) == "FI"
