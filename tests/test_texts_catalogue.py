"""Texts: every message exists in English and Finnish and renders in both."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment, meta

from conversations.texts import LOCALE_DIR, Texts, split_user_spans, user_text

TEMPLATES = Path(__file__).parent.parent / "conversations" / "templates"


def _catalogue():  # type: ignore[no-untyped-def]
    with open(LOCALE_DIR / "fi" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def test_the_finnish_catalogue_translates_every_message() -> None:
    with open(LOCALE_DIR / "messages.pot", "rb") as handle:
        template = read_po(handle)
    finnish = _catalogue()
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = finnish.get(message.id)
        strings = translated.string if translated is not None else ""
        values = strings if isinstance(strings, tuple | list) else [strings]
        if translated is None or translated.fuzzy or not all(values):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"


def test_finnish_translations_keep_every_placeholder() -> None:
    placeholder = re.compile(r"%\((\w+)\)s")
    for message in _catalogue():
        if not message.id or not message.string:
            continue
        source = message.id if isinstance(message.id, str) else message.id[1]
        targets = message.string if isinstance(message.string, tuple) else (message.string,)
        for target in targets:
            assert set(placeholder.findall(target)) <= set(placeholder.findall(source)) | {"num"}, (
                source,
                target,
            )


@pytest.mark.parametrize("locale", ["en", "fi"])
def test_every_template_macro_renders_in_both_languages(locale: str) -> None:
    texts = Texts(locale)
    env = Environment(extensions=["jinja2.ext.i18n"])
    for path in sorted(TEMPLATES.glob("*.j2")):
        source = path.read_text("utf-8")
        for name, params in re.findall(r"{% macro (\w+)\(([^)]*)\) %}", source):
            args = {p.strip(): "X" for p in params.split(",") if p.strip()}
            for numeric in (
                "count",
                "pairs",
                "months",
                "days",
                "n",
                "total",
                "revision",
                "mentor",
                "actor",
                "mentors",
                "actors",
                "planned",
                "capacity",
                "min_group",
                "meetings",
                "tasks",
                "closed_tasks",
                "cancelled",
            ):
                if numeric in args:
                    args[numeric] = 2  # type: ignore[assignment]
            rendered = texts.t(f"{path.stem}.{name}", **args)
            assert rendered.strip(), f"{path.stem}.{name} rendered empty in {locale}"
        assert meta.find_undeclared_variables(env.parse(source)) <= {
            "_",
            "gettext",
            "ngettext",
            "u",
        }


def test_user_text_is_marked_so_adapters_can_escape_it() -> None:
    text = f"Goal: {user_text('<!channel> & co')}!"
    assert split_user_spans(text) == [(False, "Goal: "), (True, "<!channel> & co"), (False, "!")]


@pytest.mark.parametrize(
    ("locale", "one", "many"),
    [
        ("en", "1 pair", "2 pairs"),
        ("fi", "1 pari", "pareja 2"),
    ],
)
def test_counts_read_naturally_for_one_and_for_many(locale: str, one: str, many: str) -> None:
    tx = Texts(locale)
    assert tx.t("hr.programme_line", name="P", months=6, days=14, pairs=1).endswith(one)
    assert tx.t("hr.programme_line", name="P", months=6, days=14, pairs=2).endswith(many)
    single = tx.t("nudges.block_booked", count=1, first="Tue 2 Mar", last="Tue 2 Mar")
    assert "1 meetings" not in single and "1 tapaamista" not in single
