"""Forms as Slack modals: opening one on a click, and the answer a submission's ack carries.

A ``trigger_id`` opens a modal only within 3 seconds of the click, so a form the engine sends
later is posted as a button (``OPEN_FORM``) that opens it then. A submission must be answered
in its ack: the same form with errors stays open with them, a next form replaces the modal,
anything else closes it and arrives as a DM.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import modal_errors, modal_view
from conversations.messages import Form, Message, Outbound

log = logging.getLogger(__name__)

VIEW_DEADLINE = 2.5
"""Seconds a modal submission waits for the engine before the modal is closed regardless."""
TRIGGER_LIFETIME = 2.5
"""A ``trigger_id`` opens a modal only within 3 seconds of the click; keep a margin."""


def meta(form: Form) -> str:
    """The ``private_metadata`` that brings the form's id and value back with its answers."""
    return json.dumps({"form_id": form.form_id, "value": form.value}, separators=(",", ":"))


async def open_modal(client: AsyncWebClient, trigger_id: str, form: Form) -> bool:
    """Open ``form`` as a modal; False when Slack refuses (an expired trigger, most often)."""
    try:
        await client.views_open(trigger_id=trigger_id, view=modal_view(form, meta(form)))
    except Exception as err:  # expired trigger: the form is posted as a button instead
        log.info("views.open failed, posting the form as a button: %s", err)
        return False
    return True


def first_form(message: Message) -> tuple[Form | None, Message]:
    """The message's first form (to open as a modal) and the rest of the message."""
    if not message.forms:
        return None, message
    form = message.forms[0]
    return form, Message(blocks=[b for b in message.blocks if b is not form])


def button_still_open(action: dict[str, Any], form: Form | None) -> bool:
    """Whether an ``OPEN_FORM`` button is for the form the person has open now (a stale or
    forged button is not)."""
    try:
        wanted = json.loads(str(action.get("value") or "{}"))
    except ValueError:
        return False
    return (
        form is not None
        and isinstance(wanted, dict)
        and form.form_id == wanted.get("form_id")
        and form.value == wanted.get("value")
    )


def submission_answer(
    form_id: str, outbounds: list[Outbound]
) -> tuple[dict[str, Any], list[Outbound]]:
    """What the submission's ack says (``response_action`` and its view or errors), and the
    replies still to post as DMs."""
    replies = [o for o in outbounds if not o.queued]
    form = next((f for o in replies for f in o.message.forms), None)
    rest = [
        Outbound(
            person_id=o.person_id,
            message=Message(blocks=[b for b in o.message.blocks if not isinstance(b, Form)]),
        )
        for o in replies
    ]
    ack: dict[str, Any] = {}
    if form is not None and form.form_id == form_id and modal_errors(form):
        ack = {"response_action": "errors", "errors": modal_errors(form)}
        rest = []  # the intro to the errors is what the modal now shows
    elif form is not None:
        ack = {"response_action": "update", "view": modal_view(form, meta(form))}
    return ack, [o for o in rest if o.message.blocks]
