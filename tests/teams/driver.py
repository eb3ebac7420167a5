"""Plays transcript scripts through Microsoft Teams: activities POSTed to ``/api/messages``.

``TeamsDriver`` implements ``adapters.console.script.Driver``: each person is a Teams user in
a personal chat with the bot; ``say`` posts a message activity, ``click`` and ``submit``
post the card submit Teams would send for a button or form in a card the Bot Connector
double recorded for that person, ``join_channel`` adds the app to a team (its General
channel), and queued outbox messages are delivered after every step with the proactive
``TeamsSender`` — as ``bot.app.console_session`` does for the console.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.session import ConsoleError
from adapters.teams import PLATFORM
from adapters.teams.app import TEAMS_KEY, mount
from adapters.teams.cards import ACTION_KEY, FORM_KEY
from adapters.teams.connector import TeamsConfig, TokenProviderFactory
from adapters.teams.sender import TeamsSender
from bot.app import sweep_moments
from bot.clock import run_sweep
from bot.delivery import DeliveryReport, deliver_due
from bot.settings import Settings
from bot.web import create_app
from conversations.clock import SettableClock
from conversations.engine import Engine
from storage.models import Person
from testsupport.http import serve_on_loopback
from testsupport.loop import LoopThread
from testsupport.teams_connector import ConnectorDouble, Member, Posted

T = TypeVar("T")
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
HELSINKI = ZoneInfo("Europe/Helsinki")  # where the console, and so the scenarios, sweep
BOT_ID = "28:mentorbot-local"
ANONYMOUS = {"CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED": "true"}


@dataclass(frozen=True)
class TeamsUser:
    email: str
    name: str
    user_id: str
    aad_object_id: str
    conversation_id: str


@dataclass(frozen=True)
class TeamsTeam:
    """A team; its General channel's conversation id is the team's id."""

    name: str
    team_id: str
    aad_group_id: str

    @property
    def general_id(self) -> str:
        return self.team_id


def teams_team(name: str) -> TeamsTeam:
    digest = hashlib.sha256(name.casefold().encode()).hexdigest()
    return TeamsTeam(
        name=name,
        team_id=f"19:{digest[:32]}@thread.tacv2",
        aad_group_id=f"{digest[32:40]}-{digest[40:44]}-{digest[44:48]}-{digest[48:52]}-{digest[52:64]}",
    )


def teams_user(email: str, name: str) -> TeamsUser:
    digest = hashlib.sha256(email.lower().encode()).hexdigest()
    return TeamsUser(
        email=email.lower(),
        name=name,
        user_id=f"29:1{digest[:40]}",
        aad_object_id=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        conversation_id=f"a:1{digest[32:64]}",
    )


TEAM_OWNER = teams_user("owner@demo.example", "Team Owner")  # adds the app to teams


@dataclass(frozen=True)
class CardButton:
    posted: Posted
    title: str
    data: dict[str, Any]


@dataclass(frozen=True)
class CardForm:
    posted: Posted
    inputs: list[dict[str, Any]]
    data: dict[str, Any]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every element and action of a card, in document order."""
    if isinstance(node, dict):
        yield node
        for key in ("body", "items", "actions", "columns"):
            for child in node.get(key, []) or []:
                yield from walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from walk(child)


def cards_of(posted: Posted) -> list[dict[str, Any]]:
    return [
        a["content"]
        for a in posted.activity.get("attachments", [])
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
    ]


def texts_of(posts: list[Posted]) -> str:
    """Every TextBlock and fact of every card in these posts, in order."""
    parts: list[str] = []
    for posted in posts:
        for card in cards_of(posted):
            for node in walk(card):
                if node.get("type") == "TextBlock":
                    parts.append(node["text"])
                elif node.get("type") == "FactSet":
                    parts.extend(f"{f['title']}: {f['value']}" for f in node["facts"])
    return "\n".join(parts)


class TeamsDriver:
    """A whole organisation on Teams, talking to the web app over HTTP."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: SettableClock,
        settings: Settings | None = None,
        token_provider_factory: Callable[[ConnectorDouble], TokenProviderFactory] | None = None,
        sweeps: bool = False,
    ) -> None:
        """Anonymous (local testing) by default; with ``settings`` naming an app id, pass
        ``token_provider_factory`` to get outbound tokens from the double's token endpoint.
        With ``sweeps``, every delivery first runs the clock's sweep, like the console: at each
        moment a running clock would have swept since the last step, and now."""
        self.factory = factory
        self.clock = clock
        self.sweeps = sweeps
        self.swept_until = clock.now()
        self.lines: list[str] = []
        self.users: dict[str, TeamsUser] = {}
        self.teams: dict[str, TeamsTeam] = {}
        self._ids = itertools.count(1_600_000_000_001)
        self.loop = LoopThread()
        self.double = ConnectorDouble()
        self.settings = settings or Settings(**ANONYMOUS)  # type: ignore[arg-type]
        self.reports: list[DeliveryReport] = []
        self.loop.run(self._start(token_provider_factory))

    async def _start(
        self, token_provider_factory: Callable[[ConnectorDouble], TokenProviderFactory] | None
    ) -> None:
        await self.double.start()
        config = TeamsConfig.from_settings(self.settings)
        if token_provider_factory is None:
            self.sender = TeamsSender.from_config(config)
            self.app = create_app(self.settings, self.factory, self.clock)
        else:  # the same mount, with outbound tokens from the double instead of MSAL
            tokens = token_provider_factory(self.double)
            self.sender = TeamsSender.from_config(config, tokens)
            self.app = web.Application()
            mount(self.app, self.settings, Engine(self.factory, self.clock), self.factory, tokens)
        self.runner, base_url = await serve_on_loopback(self.app)
        self.url = f"{base_url}/api/messages"
        self.http = aiohttp.ClientSession()

    def close(self) -> None:
        async def stop() -> None:
            await self.http.close()
            await self.runner.cleanup()
            await self.double.stop()

        self.loop.run(stop())
        self.loop.close()

    # --- the Driver protocol ----------------------------------------------------------

    def out(self, line: str) -> None:
        self.lines.append(line)

    def say(self, email: str, text: str) -> None:
        user = self.user(email)
        self.post(self.activity(user, "message", text=text, textFormat="plain"))

    def click(self, email: str, target: str) -> None:
        button = self.find_button(email, target)
        self.post(self.submit_activity(self.user(email), button.posted, dict(button.data)))

    def submit(self, email: str, answers: dict[str, str]) -> None:
        form = self.last_form(email)
        ids = {i["id"] for i in form.inputs}
        unknown = sorted(set(answers) - ids)
        if unknown:
            raise ConsoleError(f"the card's form has no field {', '.join(unknown)}")
        values = {i["id"]: str(i.get("value", "")) for i in form.inputs}
        values.update(answers)
        for field in form.inputs:  # a choice set offers only its choices
            choices = {str(c["value"]) for c in field.get("choices", [])}
            if choices and values[field["id"]] and values[field["id"]] not in choices:
                raise ConsoleError(f"{values[field['id']]!r} is not a choice of {field['id']}")
        missing = [i["id"] for i in form.inputs if i.get("isRequired") and not values[i["id"]]]
        if missing:  # Teams validates required inputs before it submits
            raise ConsoleError(f"Teams would not submit: {', '.join(missing)} required")
        self.post(self.submit_activity(self.user(email), form.posted, {**values, **form.data}))

    def advance(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        self.deliver()

    def join_channel(self, name: str) -> None:
        """A team owner adds the app to the team ``name`` (a leading ``#`` is dropped): Teams
        sends installationUpdate and conversationUpdate (bot added) in its General channel."""
        team = self.team(name)
        self.post(self.team_activity(team, "installationUpdate", action="add"))
        self.post(
            self.team_activity(
                team,
                "conversationUpdate",
                membersAdded=[{"id": BOT_ID}],
                event_type="teamMemberAdded",
            )
        )

    # --- people and installation ------------------------------------------------------

    def user(self, email: str) -> TeamsUser:
        found = self.users.get(email.lower())
        if found is None:
            raise ConsoleError(f"{email} has not installed the Teams app")
        return found

    def install(self, email: str, name: str, deliver: bool = True) -> TeamsUser:
        """The app is installed for a person: Teams sends installationUpdate and
        conversationUpdate (bot added) for the new personal chat."""
        user = teams_user(email, name)
        self.users[user.email] = user
        self.double.add_member(
            user.conversation_id,
            Member(user.user_id, name, user.email, user.aad_object_id, TENANT),
        )
        self.post(self.activity(user, "installationUpdate", action="add"), deliver=deliver)
        self.post(
            self.activity(user, "conversationUpdate", membersAdded=[{"id": BOT_ID}]),
            deliver=deliver,
        )
        return user

    def install_everyone(self) -> None:
        """An organisation-wide deployment: every person has the app in Teams."""
        with self.factory() as session:
            found = session.scalars(select(Person).order_by(Person.id))
            people = [(p.email, p.name) for p in found]
        for email, name in people:
            if email:
                self.install(email, name, deliver=False)
        self.deliver()

    def team(self, name: str) -> TeamsTeam:
        team_name = name.strip().lstrip("#").strip()
        if not team_name:
            raise ConsoleError("a team needs a name")
        return self.teams.setdefault(team_name.casefold(), teams_team(team_name))

    def remove_from_team(self, name: str) -> None:
        """A team owner removes the app from the team: conversationUpdate (bot removed)."""
        team = self.team(name)
        self.post(
            self.team_activity(
                team,
                "conversationUpdate",
                membersRemoved=[{"id": BOT_ID}],
                event_type="teamMemberRemoved",
            )
        )

    # --- what the person saw ----------------------------------------------------------

    def seen(self, email: str) -> list[Posted]:
        return self.double.in_conversation(self.user(email).conversation_id)

    def texts_seen(self, email: str) -> str:
        """Every TextBlock and fact of every card the person was shown, in order."""
        return texts_of(self.seen(email))

    def channel_posts(self, name: str) -> list[Posted]:
        """What the bot posted in the team's General channel."""
        return self.double.in_conversation(self.team(name).general_id)

    def find_button(self, email: str, target: str) -> CardButton:
        wanted = target.strip().casefold()
        for posted in reversed(self.seen(email)):
            buttons = [
                CardButton(posted, node.get("title", ""), node.get("data", {}))
                for card in cards_of(posted)
                for node in walk(card)
                if node.get("type") == "Action.Submit" and ACTION_KEY in node.get("data", {})
            ]
            if wanted.isdigit() and 1 <= int(wanted) <= len(buttons):
                return buttons[int(wanted) - 1]
            for button in buttons:
                if wanted in (button.title.casefold(), str(button.data[ACTION_KEY]).casefold()):
                    return button
        raise ConsoleError(f"no button '{target}' has been shown to {email}")

    def last_form(self, email: str) -> CardForm:
        for posted in reversed(self.seen(email)):
            for card in reversed(cards_of(posted)):
                nodes = list(walk(card))
                submits = [
                    n
                    for n in nodes
                    if n.get("type") == "Action.Submit" and FORM_KEY in n.get("data", {})
                ]
                if submits:
                    inputs = [n for n in nodes if str(n.get("type", "")).startswith("Input.")]
                    return CardForm(posted, inputs, dict(submits[-1]["data"]))
        raise ConsoleError(f"no form has been shown to {email}")

    # --- activities as Teams sends them -----------------------------------------------

    def activity(self, user: TeamsUser, kind: str, **fields: Any) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "type": kind,
            "id": str(next(self._ids)),
            "timestamp": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.isoformat(),
            "serviceUrl": self.double.service_url,
            "channelId": "msteams",
            "from": {"id": user.user_id, "name": user.name, "aadObjectId": user.aad_object_id},
            "conversation": {
                "conversationType": "personal",
                "tenantId": TENANT,
                "id": user.conversation_id,
            },
            "recipient": {"id": BOT_ID, "name": "Mentorbot"},
            "locale": "en-US",
            "entities": [
                {
                    "type": "clientInfo",
                    "locale": "en-US",
                    "country": "FI",
                    "platform": "Web",
                    "timezone": "Europe/Helsinki",
                }
            ],
            "channelData": {"tenant": {"id": TENANT}},
            **fields,
        }

    def team_activity(
        self,
        team: TeamsTeam,
        kind: str,
        event_type: str | None = None,
        by: TeamsUser = TEAM_OWNER,
        **fields: Any,
    ) -> dict[str, Any]:
        """An activity in the team's General channel, as Teams sends it."""
        channel_data: dict[str, Any] = {
            "team": {"aadGroupId": team.aad_group_id, "name": team.name, "id": team.team_id},
            "tenant": {"id": TENANT},
        }
        if kind == "installationUpdate":  # names no team or channel name, only ids
            channel_data = {
                "settings": {"selectedChannel": {"id": team.general_id}},
                "channel": {"id": team.general_id},
                "team": {"id": team.team_id},
                "tenant": {"id": TENANT},
                "source": {"name": "message"},
            }
        if event_type:
            channel_data["eventType"] = event_type
        channel_data.update(fields.pop("channelData", {}))
        activity = self.activity(by, kind, channelData=channel_data, **fields)
        activity["conversation"] = {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": TENANT,
            "id": team.general_id,
        }
        return activity

    def submit_activity(
        self, user: TeamsUser, card: Posted, value: dict[str, Any]
    ) -> dict[str, Any]:
        return self.activity(
            user,
            "message",
            replyToId=card.activity_id,
            value=value,
            channelData={
                "tenant": {"id": TENANT},
                "source": {"name": "message"},
                "legacy": {"replyToId": card.activity_id},
            },
        )

    def post(
        self, activity: dict[str, Any], headers: dict[str, str] | None = None, deliver: bool = True
    ) -> int:
        """POST like Teams, wait until the bot has handled it, then deliver the outbox."""
        status = self.post_raw(activity, headers)
        if status != 202:
            raise ConsoleError(f"/api/messages answered {status}")
        if deliver:
            self.deliver()
        return status

    def post_raw(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """POST and wait for the background handling; the HTTP status."""
        return self.loop.run(self._post(activity, headers or {}))

    async def _post(self, activity: dict[str, Any], headers: dict[str, str]) -> int:
        async with self.http.post(self.url, json=activity, headers=headers) as response:
            await response.read()
            status = response.status
        await self.app[TEAMS_KEY].drain()
        return status

    def deliver(self) -> DeliveryReport:
        now = self.clock.now()
        if self.sweeps:
            for moment in sweep_moments(self.swept_until, now, HELSINKI):
                self._tick(moment)
            self.swept_until = max(self.swept_until, now)
        return self._tick(now)

    def _tick(self, now: datetime) -> DeliveryReport:
        if self.sweeps:
            run_sweep(self.factory, now)
        report = self.loop.run(
            deliver_due(self.factory, {PLATFORM: self.sender}, now, default_platform=PLATFORM)
        )
        self.reports.append(report)
        return report
