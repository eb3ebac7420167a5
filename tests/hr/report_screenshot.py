"""Make the README's report screenshot (``docs/report.png``) from made-up data: six pairs of
the report tests' programme, given names, one still running with an alert and a meeting nobody
recorded. Needs Debian's chromium.

    .venv/bin/python -m tests.hr.report_screenshot docs/report.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cli import open_database
from conversations.report_page import render_html
from conversations.report_pairs import pair_rows
from conversations.results import programme_results
from storage.db import transaction
from storage.models import Person
from tests.hr.seed_results import seed_programme
from tests.hr.test_hr_report import CHROMIUM_FLAGS, _livelier

NOW = datetime(2027, 6, 14, 10, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
NAMES = {
    "Mentor 0": "Mikko Laine",
    "Actor 0": "Aino Virtanen",
    "Mentor 1": "Ville Heikkinen",
    "Actor 1": "Leo Järvinen",
    "Mentor 2": "Kaisa Mäkelä",
    "Actor 2": "Emma Lehtonen",
    "Mentor 3": "Juha Nieminen",
    "Actor 3": "Sara Koskinen",
    "Mentor 4": "Päivi Hämäläinen",
    "Actor 4": "Onni Salonen",
    "Mentor 5": "Antti Rantanen",
    "Actor 5": "Iida Laaksonen",
}


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        factory = open_database(f"sqlite:///{tmp}/report.db")
        with transaction(factory) as session:
            programme = seed_programme(session, NOW, "Mentoring 2027", 6)
            for person in session.scalars(select(Person)):
                person.name = NAMES.get(person.name, person.name)
            _livelier(session, programme, NOW)
            page = render_html(
                programme_results(session, programme, NOW),
                pairs=pair_rows(session, programme.id, NOW),
                prepared_for="Helena Niemi",
            )
        html = Path(tmp) / "report.html"
        html.write_text(page, "utf-8")
        subprocess.run(
            ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", "--hide-scrollbars",
             f"--screenshot={target.resolve()}", "--window-size=1200,1500", html.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
    print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report.png"))
