"""``mentorbot teams package`` builds an uploadable Teams app package."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from adapters.teams.manifest import COMMANDS, AppInfo, PackageError, manifest

APP_ID = "0f2c1d5e-7a4b-4c3d-9e8f-1a2b3c4d5e6f"


def run_cli(tmp_path: Path, *args: str, app_id: str = APP_ID) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": app_id,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "teams", "package", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def test_teams_package_command_writes_manifest_and_both_icons(tmp_path: Path) -> None:
    out = tmp_path / "mentorbot-teams.zip"

    result = run_cli(tmp_path, "--out", str(out), "--website", "https://mentorbot.example")

    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        data = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert data["id"] == APP_ID
    assert data["bots"][0]["botId"] == APP_ID
    assert color.size == (192, 192)
    assert outline.size == (32, 32) and outline.mode == "RGBA"
    pixels: list[tuple[int, ...]] = []
    for y in range(32):
        for x in range(32):
            pixel = outline.getpixel((x, y))
            assert isinstance(pixel, tuple)
            pixels.append(pixel)
    assert pixels[0][3] == 0, "transparent background"
    assert all(p[3] == 0 or p[:3] == (255, 255, 255) for p in pixels), "white outline only"


def test_teams_manifest_is_a_current_personal_and_team_scope_bot_with_the_command_list() -> None:
    data = manifest(AppInfo(APP_ID, "https://mentorbot.example"))

    assert data["manifestVersion"] == "1.22"
    assert data["$schema"].endswith("/v1.22/MicrosoftTeams.schema.json")
    (bot,) = data["bots"]
    assert bot["scopes"] == ["personal", "team"]  # a team adds it for HR's announcements
    (commands,) = bot["commandLists"]
    assert commands["scopes"] == ["personal"]  # the commands are for personal chats only
    assert [c["title"] for c in commands["commands"]] == list(COMMANDS)
    assert list(COMMANDS) == ["help", "status", "goals", "tasks", "reflect", "schedule"]
    # the limits Teams enforces when the package is uploaded
    assert len(data["name"]["short"]) <= 30 and len(data["name"]["full"]) <= 100
    assert len(data["description"]["short"]) <= 80 and len(data["description"]["full"]) <= 4000
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands["commands"])
    assert all(v.startswith("https://") for v in data["developer"].values() if "://" in v)


REQUIRED_1_22 = {
    "": ["manifestVersion", "version", "id", "developer", "name", "description", "icons",
         "accentColor"],
    "developer": ["name", "websiteUrl", "privacyUrl", "termsOfUseUrl"],
    "name": ["short"],
    "description": ["short", "full"],
    "icons": ["color", "outline"],
}  # fmt: skip
"""The required properties of the v1.22 app manifest schema (the version Teams documents as
current), for the parts Mentorbot's manifest uses."""


def test_teams_manifest_has_every_field_the_1_22_schema_requires() -> None:
    data = manifest(AppInfo(APP_ID, "https://mentorbot.example"))

    for section, fields in REQUIRED_1_22.items():
        part = data[section] if section else data
        missing = [f for f in fields if not part.get(f)]
        assert missing == [], f"{section or 'manifest'} lacks {missing}"
    for bot in data["bots"]:
        assert bot["botId"] == APP_ID and bot["scopes"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["version"])
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", data["accentColor"])
    assert data["developer"]["privacyUrl"] == "https://mentorbot.example/privacy"
    assert data["developer"]["termsOfUseUrl"] == "https://mentorbot.example/terms"


@pytest.mark.parametrize(
    ("app_id", "website"),
    [("", "https://mentorbot.example"), ("not-a-guid", "https://x.example"), (APP_ID, "http://x")],
)
def test_teams_package_refuses_settings_teams_would_reject(app_id: str, website: str) -> None:
    with pytest.raises(PackageError):
        manifest(AppInfo(app_id, website))


def test_teams_package_command_explains_a_missing_app_id(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--website", "https://mentorbot.example", app_id="")

    assert result.returncode == 2
    assert "CLIENTID" in result.stderr
