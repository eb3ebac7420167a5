"""Where settings come from: the environment over a ``.env`` file in the working directory,
variable names in any case, unknown variables ignored — read by the real ``mentorbot``
process, and by ``Settings.from_environment`` for the cases around it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.settings import Settings


def test_the_environment_wins_over_dot_env_and_dot_env_fills_the_rest(tmp_path: Path) -> None:
    db_from_file = tmp_path / "from-file.db"
    (tmp_path / ".env").write_text(
        f"DATABASE_URL=sqlite:///{db_from_file}\n"
        "# a comment, and a quoted value\n"
        'MENTORBOT_PUBLIC_URL="https://mentor.example.com"\n'
        "PORT=4000\n",
        "utf-8",
    )
    probe = (
        "import json; from bot.settings import get_settings; s = get_settings(); "
        "print(json.dumps([s.database_url, s.public_url, s.port]))"
    )
    env = {k: v for k, v in os.environ.items() if k.upper() not in ("DATABASE_URL", "PORT")}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(Path(__file__).parent.parent), "port": "5000"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == [
        f"sqlite:///{db_from_file}",
        "https://mentor.example.com",
        5000,  # the environment's (in lower case) over the file's 4000
    ]


def test_mentorbot_uses_the_database_named_in_dot_env(tmp_path: Path) -> None:
    db = tmp_path / "named-in-dot-env.db"
    (tmp_path / ".env").write_text(f"DATABASE_URL=sqlite:///{db}\n", "utf-8")
    env = {k: v for k, v in os.environ.items() if k.upper() != "DATABASE_URL"}
    script = Path(sys.executable).parent / "mentorbot"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]
    done = subprocess.run(
        [*command, "programme", "create", "Pilot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert db.exists()


def test_without_dot_env_unknown_variables_are_ignored_and_defaults_hold(tmp_path: Path) -> None:
    settings = Settings.from_environment(
        {"MENTORBOT_SWEEP_INTERVAL_SECONDS": "60", "HOME": "/root", "SOMETHING_ELSE": "x"},
        env_file=tmp_path / "absent.env",
    )
    assert settings.sweep_interval_seconds == 60.0
    assert settings.port == 3000
    assert settings == Settings(MENTORBOT_SWEEP_INTERVAL_SECONDS=60.0)  # type: ignore[call-arg]


def test_booleans_read_as_operators_write_them() -> None:
    name = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED"
    for written, meant in (("true", True), ("1", True), ("yes", True), ("false", False)):
        settings = Settings.from_environment({name: written}, env_file=Path("/nonexistent"))
        assert settings.teams_anonymous_allowed is meant, written
