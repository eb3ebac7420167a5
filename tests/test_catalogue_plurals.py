"""Wherever a count meets a noun, the catalogue has plural forms, in English and in Finnish.

"1 mentors", "1 pairs" and the Finnish "2 osallistujia" come from a count written into a
sentence that has only one form. A message whose placeholder stands right before a counted
noun must be a plural entry (``ngettext`` / ``{% pluralize %}``), and every plural entry has
both Finnish forms.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE = Path(__file__).parent.parent / "conversations" / "locale"
PLACEHOLDER_THEN_WORD = re.compile(r"%\((\w+)\)s\s+(\w+)")
NAMES = {"actor", "buddy", "mentor", "name", "new", "partner", "programme", "title", "who"}
COUNTED = {
    # English nouns that are counted in Mentorbot's texts
    "actors", "alerts", "announcements", "answers", "characters", "days", "goals", "hours",
    "invitations", "meetings", "mentors", "minutes", "months", "pairs", "participants",
    "people", "persons", "places", "reflections", "tasks", "weeks", "workshops",
}  # fmt: skip
COUNTED_FI = {
    # the Finnish plural partitive, which never follows a numeral ("2 osallistujaa", not "-ia")
    "aktoreita", "hälytyksiä", "kuukausia", "mentoreita", "osallistujia", "pareja",
    "päiviä", "tapaamisia", "tavoitteita", "tehtäviä", "välitehtäviä", "henkilöitä",
    "ihmisiä", "paikkoja", "viikkoja", "merkkejä",
}  # fmt: skip


def _catalogue(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        return read_po(handle)


def test_no_count_in_the_english_source_lacks_a_plural_form() -> None:
    singular_only = [
        message.id
        for message in _catalogue(LOCALE / "messages.pot")
        if isinstance(message.id, str)
        and any(
            word.lower() in COUNTED and name not in NAMES  # "%(mentor)s mentors %(actor)s"
            for name, word in PLACEHOLDER_THEN_WORD.findall(message.id)
        )
    ]
    assert singular_only == []


def test_no_finnish_count_is_followed_by_a_plural_partitive() -> None:
    wrong = []
    for message in _catalogue(LOCALE / "fi" / "LC_MESSAGES" / "messages.po"):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            if any(w.lower() in COUNTED_FI for _, w in PLACEHOLDER_THEN_WORD.findall(form)):
                wrong.append(form)
    assert wrong == []


def test_every_plural_entry_has_both_finnish_forms() -> None:
    catalogue = _catalogue(LOCALE / "fi" / "LC_MESSAGES" / "messages.po")
    assert catalogue.num_plurals == 2
    missing = [
        message.id
        for message in catalogue
        if isinstance(message.id, tuple)
        and (not isinstance(message.string, tuple) or not all(message.string))
    ]
    assert missing == []


def test_a_count_reads_right_in_both_languages() -> None:
    from conversations.texts import Texts

    en, fi = Texts("en"), Texts("fi")
    assert en.ngettext("%(num)s mentor", "%(num)s mentors", 1) == "1 mentor"
    assert fi.ngettext("%(num)s mentor", "%(num)s mentors", 2) == "2 mentoria"
    assert fi.ngettext("participant", "participants", 2) == "osallistujaa"
    assert fi.ngettext("goal achieved", "goals achieved", 1) == "saavutettu tavoite"
