"""The architecture: imports point one way, bot → adapters → conversations → storage, and the
engine imports no chat-platform SDK and no web framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PLATFORM_AND_WEB = (
    "aiohttp",
    "slack_bolt",
    "slack_sdk",
    "microsoft_agents",
    "jwt",
    "fastapi",
    "flask",
    "starlette",
    "apscheduler",
)
FORBIDDEN = {
    "storage": ("conversations", "adapters", "bot", *PLATFORM_AND_WEB),
    "conversations": ("adapters", "bot", *PLATFORM_AND_WEB),
    "adapters": ("bot", "storage"),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    offences = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for module in _imports(path):
            top = module.split(".")[0]
            if top in FORBIDDEN[layer]:
                offences.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not offences, "\n".join(offences)


def test_the_engine_never_asks_which_platform_it_is_on() -> None:
    offences = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "conversations").rglob("*.py")
        if any(
            s in path.read_text("utf-8")
            for s in ('== "slack"', '== "teams"', "== 'slack'", "== 'teams'")
        )
    ]
    assert not offences
