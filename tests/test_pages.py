"""``/privacy`` and ``/terms``, the pages the Teams app package links to, served by the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session, sessionmaker

from adapters.teams.manifest import AppInfo, manifest
from bot.pages_web import page_source
from bot.settings import Settings
from bot.web import create_app
from conversations.clock import SettableClock

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


async def client_for(
    settings: Settings, factory: sessionmaker[Session], clock: SettableClock
) -> TestClient[object, object]:
    client: TestClient[object, object] = TestClient(
        TestServer(create_app(settings, factory, clock))
    )
    await client.start_server()
    return client


@pytest.fixture
async def web(factory: sessionmaker[Session], clock: SettableClock) -> AsyncIterator[TestClient]:  # type: ignore[type-arg]
    client = await client_for(Settings(), factory, clock)
    yield client
    await client.close()


async def test_the_manifest_links_answer_with_html_pages(web: TestClient) -> None:  # type: ignore[type-arg]
    developer = manifest(AppInfo(APP_ID, "https://mentorbot.example.com"))["developer"]
    for url in (developer["privacyUrl"], developer["termsOfUseUrl"]):
        response = await web.get(urlparse(url).path)
        assert response.status == 200, url
        assert response.content_type == "text/html"
        body = await response.text()
        assert body.startswith("<!doctype html>") and "<h1>" in body
        assert "<script" not in body and "style=" not in body  # nothing a strict CSP blocks


async def test_the_privacy_page_is_docs_privacy_md_rendered(web: TestClient) -> None:  # type: ignore[type-arg]
    response = await web.get("/privacy")
    body = await response.text()
    assert "<h1>Mentorbot and personal data</h1>" in body
    assert "<table>" in body and "<th>Data</th>" in body
    assert response.headers["Content-Language"] == "en"
    shipped = page_source("privacy", "en")
    assert shipped == (ROOT / "docs" / "privacy.md").read_text("utf-8")


async def test_the_privacy_page_in_finnish_is_docs_privacy_fi_md(web: TestClient) -> None:  # type: ignore[type-arg]
    response = await web.get("/privacy", headers={"Accept-Language": "fi"})
    body = await response.text()
    assert response.headers["Content-Language"] == "fi"
    assert "<h1>Mentorbot ja henkilötiedot</h1>" in body and "<table>" in body
    assert '<a href="?lang=en" hreflang="en">English</a>' in body
    assert page_source("privacy", "fi") == (ROOT / "docs" / "privacy.fi.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("query", "accept", "language", "heading"),
    [
        ("", "fi-FI,fi;q=0.9,en;q=0.8", "fi", "Käyttöehdot"),
        ("", "sv-SE,en;q=0.5,fi;q=0.3", "en", "Terms of use"),
        ("?lang=fi", "en-GB", "fi", "Käyttöehdot"),
        ("?lang=en", "fi", "en", "Terms of use"),
        ("?lang=xx", "", "en", "Terms of use"),
    ],
)
async def test_a_page_comes_in_the_readers_language_where_one_exists(
    web: TestClient,  # type: ignore[type-arg]
    query: str,
    accept: str,
    language: str,
    heading: str,
) -> None:
    response = await web.get(f"/terms{query}", headers={"Accept-Language": accept})
    assert response.status == 200
    assert response.headers["Content-Language"] == language
    body = await response.text()
    assert f"<h1>{heading}</h1>" in body and f'<html lang="{language}">' in body


async def test_terms_redirect_to_the_organisations_own_when_set(
    factory: sessionmaker[Session], clock: SettableClock
) -> None:
    settings = Settings(MENTORBOT_TERMS_URL="https://intranet.example.com/terms")  # type: ignore[call-arg]
    client = await client_for(settings, factory, clock)
    try:
        response = await client.get("/terms", allow_redirects=False)
        assert response.status == 302
        assert response.headers["Location"] == "https://intranet.example.com/terms"
        assert (await client.get("/privacy")).status == 200
    finally:
        await client.close()
