"""``GET /privacy`` and ``GET /terms``: the pages the Teams app package links to.

The sources are markdown files shipped inside the package (``bot/pages/``): ``privacy.md`` is
``docs/privacy.md`` itself, so the page and the repository's document never differ. A page
is served in the reader's language where a translation exists (``privacy.fi.md``), chosen by
``?lang=`` or else the ``Accept-Language`` header, and in English otherwise. The terms come
from ``MENTORBOT_TERMS_URL`` (a redirect to the organisation's own terms) when it is set.
Markdown is rendered with raw HTML disabled: whatever a page says, it cannot inject markup.
"""

from __future__ import annotations

import html
from functools import cache
from importlib import resources

from aiohttp import web
from markdown_it import MarkdownIt

PAGES = ("privacy", "terms")
DEFAULT_LANGUAGE = "en"
LANGUAGES = ("en", "fi")


@cache
def page_source(name: str, language: str) -> str | None:
    """The markdown of page ``name`` in ``language`` (English: no suffix), None if absent."""
    filename = f"{name}.md" if language == DEFAULT_LANGUAGE else f"{name}.{language}.md"
    source = resources.files("bot") / "pages" / filename
    return source.read_text("utf-8") if source.is_file() else None


def languages_of(name: str) -> list[str]:
    return [lang for lang in LANGUAGES if page_source(name, lang) is not None]


def preferred_language(query: str | None, accept_language: str | None, available: list[str]) -> str:
    """``?lang=`` if available, else the best ``Accept-Language`` match, else English."""
    if query and query.lower() in available:
        return query.lower()
    ranked: list[tuple[float, int, str]] = []
    for i, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, i, tag.strip().lower().split("-")[0]))
    for quality, _, lang in sorted(ranked):
        if quality < 0 and lang in available:
            return lang
    return DEFAULT_LANGUAGE


@cache
def render_page(name: str, language: str) -> str:
    """The page as a complete HTML document (no scripts, no inline styles: strict CSP)."""
    source = page_source(name, language) or page_source(name, DEFAULT_LANGUAGE) or ""
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    title = next(
        (line[2:].strip() for line in source.splitlines() if line.startswith("# ")), "Mentorbot"
    )
    others = " · ".join(
        f'<a href="?lang={lang}" hreflang="{lang}">{LANGUAGE_NAMES[lang]}</a>'
        for lang in languages_of(name)
        if lang != language
    )
    return (
        "<!doctype html>\n"
        f'<html lang="{html.escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} – Mentorbot</title>\n</head>\n<body>\n<main>\n"
        f"{renderer.render(source)}</main>\n"
        + (f"<footer><p>{others}</p></footer>\n" if others else "")
        + "</body>\n</html>\n"
    )


LANGUAGE_NAMES = {"en": "English", "fi": "Suomeksi"}


def page_routes(terms_url: str = "") -> list[web.RouteDef]:
    """The two routes; with ``terms_url``, ``/terms`` redirects there."""

    def handler(name: str) -> web.RouteDef:
        async def serve_page(request: web.Request) -> web.StreamResponse:
            if name == "terms" and terms_url:
                raise web.HTTPFound(terms_url)
            language = preferred_language(
                request.query.get("lang"),
                request.headers.get("Accept-Language"),
                languages_of(name),
            )
            return web.Response(
                text=render_page(name, language),
                content_type="text/html",
                charset="utf-8",
                headers={"Content-Language": language, "Vary": "Accept-Language"},
            )

        return web.get(f"/{name}", serve_page)

    return [handler(name) for name in PAGES]
