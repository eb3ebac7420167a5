"""The conversation flows. Each module declares its handlers (``conversations.registry``);
the engine is given the modules to run, so a test may build one with only some flows."""

from __future__ import annotations

import importlib
from types import ModuleType

# Every engine has these: first contact, help, "did you mean" and the unknown-command answer.
CORE = ("onboarding", "basics")

MODULES = (
    *CORE,
    "agreement",
    "scheduling",
    "checkin",
    "tasks",
    "reflection",
    "evaluation",
    "supervisor",
    "export",
    "hr",
    "hr_report",
    "matching",
    "matching_hr",
    "announcements",
    "workshops",
    "newcomers",
    "hr_pairs",
    "hr_queue",
)


def modules(names: tuple[str, ...] = MODULES) -> list[ModuleType]:
    """The flow modules named (always with the core ones), imported."""
    wanted = [*CORE, *(n for n in names if n not in CORE)]
    return [importlib.import_module(f"conversations.flows.{name}") for name in wanted]
