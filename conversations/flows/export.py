"""Export my data: everything stored about the person, as JSON."""

from __future__ import annotations

import json
from typing import Any

from conversations.messages import Attachment, Message
from conversations.registry import command
from conversations.roles import ANYONE
from conversations.turn import Turn
from storage.export import person_data


@command("export", role=ANYONE)
def export(turn: Turn, _rest: str) -> None:
    data: dict[str, Any] = person_data(turn.session, turn.person)
    content = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    filename = f"mentorbot-data-{turn.now.date().isoformat()}.json"
    turn.reply(
        Message()
        .text(turn.tx.t("basics.export_intro"))
        .add(Attachment(filename=filename, mime_type="application/json", content=content))
    )
