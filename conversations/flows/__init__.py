"""The conversation flows; importing a module registers its commands, actions and forms."""

from __future__ import annotations

import importlib

MODULES = (
    "onboarding",
    "basics",
    "agreement",
    "scheduling",
    "checkin",
    "tasks",
    "reflection",
    "evaluation",
    "supervisor",
    "export",
    "hr",
    "hr_pairs",
    "hr_queue",
    "outreach",
)


def load() -> None:
    for name in MODULES:
        importlib.import_module(f"conversations.flows.{name}")
