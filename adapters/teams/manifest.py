"""The Teams app package: ``manifest.json`` (schema 1.22) and the two icons, zipped.

Upload the zip in Teams (Apps → Manage your apps → Upload an app) or through the Teams admin
centre. Mentoring happens in the personal scope, whose command menu lists the free-text
commands. The team scope lets a team add the app so that HR can post announcements in its
channel; the bot answers nothing said in a team.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from conversations.texts import Texts

MANIFEST_VERSION = "1.22"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = "#2E6B5E"
COMMANDS = ("help", "status", "goals", "tasks", "reflect", "schedule")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(Exception):
    """The package cannot be built from these settings."""


@dataclass(frozen=True)
class AppInfo:
    app_id: str
    website: str
    version: str = "1.0.0"
    developer: str = "Mentorbot"

    def check(self) -> None:
        if not GUID.match(self.app_id):
            raise PackageError(
                "the bot's app id (CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID) must be "
                f"the GUID of its Azure Bot / Entra app registration, not {self.app_id!r}"
            )
        if not self.website.startswith("https://"):
            raise PackageError(
                f"Teams needs https addresses for the developer links; got {self.website!r} "
                "(set MENTORBOT_PUBLIC_URL or pass --website)"
            )


def command_descriptions(tx: Texts) -> dict[str, str]:
    return {
        "help": tx._("What I can do and how to ask"),
        "status": tx._("Where your mentoring stands and what comes next"),
        "goals": tx._("Your goals and sub-goals"),
        "tasks": tx._("Your intermediate tasks"),
        "reflect": tx._("Write a private reflection"),
        "schedule": tx._("Your booked meetings"),
    }


def manifest(info: AppInfo, tx: Texts | None = None) -> dict[str, Any]:
    """The app manifest for the bot with the given app id (personal and team scope)."""
    tx = tx or Texts("en")
    info.check()
    site = info.website.rstrip("/")
    descriptions = command_descriptions(tx)
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": info.version,
        "id": info.app_id,
        "developer": {
            "name": info.developer,
            "websiteUrl": site + "/",
            "privacyUrl": site + "/privacy",
            "termsOfUseUrl": site + "/terms",
        },
        "name": {"short": "Mentorbot", "full": tx._("Mentorbot – mentoring companion")},
        "description": {
            "short": tx._("Your mentoring companion, from agreement to final evaluation"),
            "full": tx._(
                "Mentorbot carries a workplace mentoring relationship from a clear start to a "
                "clear end: the agreement and goals, meetings every two weeks booked at once, "
                "check-ins, intermediate tasks, private reflections, interim and final "
                "evaluation. Reflections and notes stay private to their author."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": info.app_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": name, "description": descriptions[name]} for name in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def icon(name: str) -> bytes:
    """A shipped icon: ``color.png`` (192×192, two white speech bubbles on the accent colour)
    or ``outline.png`` (32×32, the bubbles in white on transparent, as Teams requires)."""
    return (resources.files("adapters.teams") / "icons" / name).read_bytes()


def build_package(info: AppInfo, out: Path) -> Path:
    """Write the zip (manifest.json, color.png, outline.png at its root)."""
    body = json.dumps(manifest(info), indent=2, ensure_ascii=False)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", body)
        archive.writestr("color.png", icon("color.png"))
        archive.writestr("outline.png", icon("outline.png"))
    return out
