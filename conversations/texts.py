"""Every text the bot says: jinja2 macros with the i18n extension, gettext catalogues (Babel).

``Texts(locale)`` is the one way the engine produces words. English is the source language;
Finnish is a complete translation in ``conversations/locale/fi``.

The catalogues are read from the ``.po`` files that ship inside the package, once per process
and language. There is no compiled ``.mo`` to forget: ``pip install .``, an editable install, a
wheel and a plain checkout all speak Finnish without a build step (reading the file costs
about 25 ms, once).
"""

from __future__ import annotations

import gettext
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from jinja2 import Environment

LOCALES = ("en", "fi")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"

USER_OPEN = "\ue000"
USER_CLOSE = "\ue001"


def user_text(value: object) -> str:
    """Mark text typed by a person so each adapter can escape it for its surface."""
    s = str(value).replace(USER_OPEN, "").replace(USER_CLOSE, "")
    return f"{USER_OPEN}{s}{USER_CLOSE}"


def split_user_spans(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_user_supplied, chunk) pairs."""
    out: list[tuple[bool, str]] = []
    rest = text
    while rest:
        start = rest.find(USER_OPEN)
        if start < 0:
            out.append((False, rest))
            break
        if start:
            out.append((False, rest[:start]))
        end = rest.find(USER_CLOSE, start)
        if end < 0:
            out.append((True, rest[start + 1 :]))
            break
        out.append((True, rest[start + 1 : end]))
        rest = rest[end + 1 :]
    return out


def first_name(name: str) -> str:
    """The first word of a name, for greetings ("Hello Aino!")."""
    return name.split()[0] if name.split() else name


def strip_user_marks(text: str) -> str:
    return text.replace(USER_OPEN, "").replace(USER_CLOSE, "")


def normalise_locale(locale: str | None) -> str:
    if locale and locale.split("_")[0].split("-")[0].lower() in LOCALES:
        return locale.split("_")[0].split("-")[0].lower()
    return DEFAULT_LOCALE


def catalogue_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The gettext catalogue of ``locale``, read from its ``.po`` file once per process."""
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(locale).open("rb") as handle:
        catalogue = read_po(handle, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # leaves fuzzy entries out, as ``pybabel compile`` does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


@cache
def _environment(locale: str) -> Environment:
    # jinja2 and Babel load with the first text, not with this module: command-line commands
    # that import the engine for its rules (``programme list``) never pay for them.
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("conversations", "templates"),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters["u"] = user_text
    return env


@cache
def _module(locale: str, group: str) -> Any:
    return _environment(locale).get_template(f"{group}.j2").make_module()


class Texts:
    """Words, dates and times in one person's language and timezone."""

    def __init__(self, locale: str | None, timezone: str = "Europe/Helsinki") -> None:
        self.locale = normalise_locale(locale)
        self.tz = ZoneInfo(timezone)
        self._tr = translations(self.locale)

    def _(self, message: str, **params: Any) -> str:
        """Translate a short string (labels, buttons); ``%(name)s`` placeholders."""
        text = self._tr.gettext(message)
        return text % params if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self._tr.ngettext(singular, plural, n)
        return text % {"num": n, **params}

    def t(self, key: str, **context: Any) -> str:
        """Render macro ``name`` of template ``group.j2`` for ``key`` = ``group.name``."""
        group, name = key.rsplit(".", 1)
        macro = getattr(_module(self.locale, group), name)
        return str(macro(**context)).strip()

    def date(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = value.astimezone(self.tz).date()
        fmt = "EEE d.M.yyyy" if self.locale == "fi" else "EEE d MMM yyyy"
        from babel.dates import format_date

        return str(format_date(value, fmt, locale=self.locale))

    def time(self, value: datetime) -> str:
        fmt = "HH.mm" if self.locale == "fi" else "HH:mm"
        from babel.dates import format_time

        return str(format_time(value.astimezone(self.tz), fmt, locale=self.locale))

    def datetime(self, value: datetime) -> str:
        local = value.astimezone(self.tz)
        from babel.dates import format_datetime

        fmt = "EEE d.M.yyyy 'klo' HH.mm" if self.locale == "fi" else "EEE d MMM yyyy, HH:mm"
        return str(format_datetime(local, fmt, tzinfo=self.tz, locale=self.locale))
