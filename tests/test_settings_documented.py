"""Every setting is documented in .env.example and the README, under the name the environment
uses, so an operator (or a test's reader) finds it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

ENV_EXAMPLE = Path(__file__).parent.parent / ".env.example"
README = Path(__file__).parent.parent / "README.md"


def test_every_setting_is_listed_in_env_example() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text("utf-8"), re.M))
    names = {field.alias or name.upper() for name, field in Settings.model_fields.items()}
    assert names - listed == set()


def test_every_setting_is_named_in_the_readme() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]*)`", README.read_text("utf-8")))
    names = {field.alias or name.upper() for name, field in Settings.model_fields.items()}
    assert names - documented == set()
