"""The architecture: imports point one way, bot → adapters → conversations → storage, and the
engine imports no chat-platform SDK and no web framework."""

from __future__ import annotations

import ast
import re
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


DIALECT_SQL = re.compile(
    r"\bON\s+CONFLICT\b|\bINSERT\s+OR\b|\bpg_\w+|\bjsonb?_\w+|\bclock_timestamp\b|::\w+"
    r"|\bSKIP\s+LOCKED\b|\bjulianday\b|\bstrftime\b|\bsqlite_\w+",
    re.IGNORECASE,
)
DIALECT_FUNCS = re.compile(r"^(pg_\w+|jsonb?_\w+|clock_timestamp|julianday|strftime|sqlite_\w+)$")


def _dialect_sql(path: Path) -> list[str]:
    """Dialect-specific SQL in one module: ``sqlalchemy.dialects`` imports, raw ``text()`` SQL
    with PostgreSQL or SQLite syntax, ``func.<dialect function>`` calls, and (in the engine)
    code asking which database it runs on."""
    tree = ast.parse(path.read_text("utf-8"))
    found = [f"imports {m}" for m in _imports(path) if m.startswith("sqlalchemy.dialects")]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "text":
            for arg in node.args:  # a plain string, or the literal parts of an f-string
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str):
                        found += [
                            f"text() with {m.group(0)!r}" for m in DIALECT_SQL.finditer(part.value)
                        ]
        if (
            isinstance(node, ast.Attribute)
            and getattr(node.value, "id", None) == "func"
            and DIALECT_FUNCS.match(node.attr)
        ):
            found.append(f"func.{node.attr}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "name"
            and getattr(node.value, "attr", None) == "dialect"
            and path.relative_to(ROOT).parts[0] in ("conversations", "adapters")
        ):
            found.append("asks for the database dialect")
    return found


@pytest.mark.parametrize("layer", ["bot", "adapters", "conversations"])
def test_dialect_specific_sql_lives_only_in_storage(layer: str) -> None:
    offences = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for what in _dialect_sql(path)
    ]
    assert not offences, "\n".join(offences)


def test_the_dialect_check_finds_dialect_sql_in_storage() -> None:
    """Positive control: the check does see the statements that live in storage/."""
    found = {what for path in (ROOT / "storage").rglob("*.py") for what in _dialect_sql(path)}
    assert any("pg_advisory" in w for w in found)
    assert any("ON CONFLICT" in w for w in found)
    assert "imports sqlalchemy.dialects" in found
