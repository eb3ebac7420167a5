"""The App Home: the person's own view, which is the engine's status with privacy applied
there, and a row of shortcut buttons for the engine's home commands."""

from __future__ import annotations

import re
from typing import Any

from adapters.slack.render import MAX_MODAL_BLOCKS, blocks_for
from conversations import commands
from conversations.messages import Outbound
from conversations.texts import Texts

HOME_COMMAND = "status"
RUN_COMMAND = "mentorbot_command"
"""Action id of the App Home shortcut buttons; the value is a text command for the engine."""
SHORTCUTS = re.compile(rf"^{RUN_COMMAND}_\d+$")


def shortcuts(tx: Texts) -> dict[str, Any]:
    """App Home shortcuts: each button sends one of the engine's home commands as text."""
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": f"{RUN_COMMAND}_{n}",
                "text": {"type": "plain_text", "text": tx._(shortcut.label)},
                "value": shortcut.word,
            }
            for n, shortcut in enumerate(commands.HOME_SHORTCUTS)
        ],
    }


def home_view(outbounds: list[Outbound], tx: Texts | None) -> dict[str, Any]:
    """The home tab of the engine's answer; with ``tx`` (someone in the programme) the
    shortcuts follow it."""
    blocks: list[dict[str, Any]] = []
    for outbound in outbounds:
        if outbound.queued:
            continue
        if blocks:
            blocks.append({"type": "divider"})
        blocks.extend(blocks_for(outbound.message))
    if tx is not None:
        blocks.append({"type": "divider"})
        blocks.append(shortcuts(tx))
    return {"type": "home", "blocks": fit_home(blocks)}


def fit_home(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A home view holds at most 100 blocks: keep the first ones and the shortcuts."""
    if len(blocks) <= MAX_MODAL_BLOCKS:
        return blocks
    return blocks[: MAX_MODAL_BLOCKS - 1] + blocks[-1:]
