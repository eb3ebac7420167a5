"""The Slack app manifest asks for the minimum and matches what the adapter does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from adapters.slack.app import SLASH_COMMAND
from adapters.slack.channels import EVENTS as CHANNEL_EVENTS

MANIFEST = Path(__file__).parents[2] / "adapters" / "slack" / "manifest.yml"

SCOPE_OF_METHOD = {
    "chat.postMessage": "chat:write",
    "conversations.info": "channels:read",  # and groups:read for a private channel
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.lookupByEmail": "users:read.email",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
"""Every Web API method the adapter calls and the bot scope it needs (views.* need none)."""


def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(MANIFEST.read_text("utf-8"))
    return loaded


def test_manifest_asks_for_exactly_the_minimum_scopes() -> None:
    scopes = manifest()["oauth_config"]["scopes"]["bot"]
    assert sorted(scopes) == sorted(
        [
            "chat:write",
            "channels:read",
            "groups:read",
            "im:write",
            "im:history",
            "users:read",
            "users:read.email",
            "commands",
            "files:write",
        ]
    )
    assert set(SCOPE_OF_METHOD.values()) <= set(scopes)
    assert "user" not in manifest()["oauth_config"]["scopes"]


def test_manifest_subscribes_to_dm_home_and_channel_events_with_one_request_url() -> None:
    m = manifest()
    settings = m["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(
        ["app_home_opened", "message.im", *CHANNEL_EVENTS]
    )
    assert settings["interactivity"]["is_enabled"] is True
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in m["features"]["slash_commands"]),
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")


def test_manifest_has_the_slash_command_and_app_home_with_the_messages_tab() -> None:
    features = manifest()["features"]
    assert [c["command"] for c in features["slash_commands"]] == [SLASH_COMMAND]
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    assert features["bot_user"]["display_name"] == "Mentorbot"


def test_manifest_texts_fit_slacks_length_limits() -> None:
    info = manifest()["display_information"]
    assert len(info["name"]) <= 35
    assert len(info["description"]) <= 140
    assert 175 <= len(info["long_description"]) <= 4000
