"""Free-text commands in English and Finnish, mapped to canonical names."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

COMMAND_WORDS: dict[str, tuple[str, ...]] = {
    "help": ("help", "?", "apua", "ohje", "ohjeet"),
    "status": ("status", "tila", "tilanne"),
    "goals": ("goals", "tavoitteet"),
    "tasks": ("tasks", "task", "tehtävät", "välitehtävät", "välitehtävä"),
    "reflect": ("reflect", "reflektoi", "pohdi"),
    "reflections": ("reflections", "pohdinnat", "omat pohdinnat"),
    "schedule": ("schedule", "meetings", "aikataulu", "tapaamiset"),
    "privacy": ("privacy", "yksityisyys", "tietosuoja"),
    "export": ("export my data", "export", "vie tietoni", "lataa tietoni", "omat tiedot"),
    "checkin": ("check-in", "checkin", "check in", "kirjaa tapaaminen", "kirjaa"),
    "evaluate": ("interim evaluation", "evaluate", "väliarviointi", "arvioi"),
    "close": ("final evaluation", "close", "loppuarviointi", "lopetus"),
    "agreement": ("agreement", "sopimus"),
    "language": ("language", "kieli"),
    "timezone": ("timezone", "aikavyöhyke"),
    # HR coordinators (conversations/flows/hr.py)
    "hr_help": ("hr help", "hr", "hr-ohje", "hr ohje"),
    "grant_hr": ("grant hr", "anna hr-rooli", "anna hr"),
    "revoke_hr": ("revoke hr", "poista hr-rooli", "poista hr"),
    "new_programme": ("new programme", "new program", "create programme", "uusi ohjelma"),
    "programmes": ("programmes", "programs", "ohjelmat"),
    "pair": ("pair", "new pair", "uusi pari", "muodosta pari"),
    "pairs": ("pairs", "parit"),
    "report": ("report", "results", "raportti", "tulokset"),
    "alerts": ("alerts", "early warnings", "hälytykset", "varoitukset"),
    "queue": ("queue", "follow-ups", "followups", "jono", "seurattavat", "hoidettavat"),
    "support": ("support", "ask hr for support", "tuki", "pyydä tukea"),
    "announce": ("announce", "new announcement", "tiedota", "uusi tiedote"),
    "announcements": ("announcements", "tiedotteet"),
    "workshop": ("workshop", "new workshop", "työpaja", "uusi työpaja"),
    "workshops": ("workshops", "työpajat"),
    "buddies": ("buddies", "buddy", "kummit"),
    "mentor_guide": ("mentor guide", "guide", "mentorin opas", "opas"),
    # matching (conversations/flows/matching.py)
    "matching_open": ("matching open", "open matching", "avaa parinmuodostus"),
    "match_suggest": ("match suggestions", "suggestions", "pariehdotukset", "ehdotukset"),
    "match_profile": ("matching profile", "matching", "parinmuodostus", "parinmuodostusprofiili"),
    # leaving an open form (the console's /cancel sends this too)
    "cancel": ("cancel", "peruuta", "keskeytä"),
    # a greeting is answered with a greeting and the next step
    "greeting": (
        "hello",
        "hi",
        "hey",
        "hello there",
        "good morning",
        "good afternoon",
        "moi",
        "moikka",
        "moro",
        "hei",
        "heippa",
        "terve",
        "huomenta",
        "hyvää huomenta",
        "päivää",
        "hyvää päivää",
    ),
}


def N_(message: str) -> str:
    """Mark a text for the catalogue; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Shortcut:
    """A command an app offers as a button (the Slack App Home): its canonical name and its
    label (a catalogue message id, translated by whoever shows it)."""

    name: str
    label: str

    @property
    def word(self) -> str:
        """The text the button sends: the command's first word, which ``parse`` reads back."""
        return COMMAND_WORDS[self.name][0]


HOME_SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("checkin", N_("Check in")),
    Shortcut("reflect", N_("Reflect now")),
    Shortcut("schedule", N_("Meetings")),
)
"""The commands a person's home offers as buttons, in order."""


_PHRASES = sorted(
    ((phrase, name) for name, phrases in COMMAND_WORDS.items() for phrase in phrases),
    key=lambda item: -len(item[0]),
)


def parse(text: str) -> tuple[str | None, str]:
    """Return (command name or None, the rest of the text)."""
    cleaned = " ".join(text.strip().lower().split())
    for prefix in ("/mentor ", "/", "mentor "):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix) :]
            break
    cleaned = cleaned.rstrip("!.?,;: ") or cleaned  # "Tila?" is tila; a lone "?" is help
    for phrase, name in _PHRASES:
        if cleaned == phrase or cleaned.startswith(phrase + " "):
            return name, cleaned[len(phrase) :].strip()
        if name == "greeting" and cleaned.startswith(phrase + ","):  # "hi, mentorbot"
            return name, ""
    return None, cleaned


# The command words a near miss is compared with; greetings and the shortest words
# ("?", "hr") are left out, as almost anything would be close to them.
_SUGGESTABLE = sorted(
    {
        phrase
        for name, phrases in COMMAND_WORDS.items()
        if name not in ("greeting", "cancel")
        for phrase in phrases
        if len(phrase) >= 4
    }
)


def suggest(text: str) -> tuple[str, str] | None:
    """(command name, the command word) that ``text`` nearly spells, e.g. ``staus`` →
    ``status``; None when nothing is close enough to be a fair guess."""
    cleaned = parse(text)[1]
    if len(cleaned) < 3 or len(cleaned) > 40:
        return None
    close = difflib.get_close_matches(cleaned, _SUGGESTABLE, n=1, cutoff=0.75)
    if not close:
        return None
    phrase = close[0]
    name = next(n for n, phrases in COMMAND_WORDS.items() if phrase in phrases)
    return name, phrase
