"""The desk's language, chosen by each reviewer and remembered: `?lang=kk` on any page sets a cookie, and every
later page that reviewer opens is written in it (its interface; the findings are in the language the cases
were checked in). Without a choice, the language `riskcheck serve --lang` gave, else English."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskcheck.i18n import LANGUAGES, NATIVE_NAMES, UnknownLanguage, html_lang, language, speaking

COOKIE = "lang"
MAX_AGE = 365 * 24 * 3600


def _chosen(text: str | None) -> str | None:
    try:
        return language(text) if text else None
    except UnknownLanguage:
        return None  # an unknown choice is no choice: the page stays in the language it was


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == COOKIE:
                    return val
    return None


class ReviewerLanguage:
    """Each request in the reviewer's language: the one the address asks for (then remembered), the one
    remembered, or the app's own."""

    def __init__(self, app: ASGIApp, default: str | None = None) -> None:
        self.app, self.default = app, default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        asked = _chosen(dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))).get(COOKIE))
        lang = asked or _chosen(_cookie(scope)) or self.default

        async def remembering(message: Message) -> None:
            if asked and message["type"] == "http.response.start":
                cookie = f"{COOKIE}={asked}; Max-Age={MAX_AGE}; Path=/; SameSite=Strict; HttpOnly"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        with speaking(lang):
            await self.app(scope, receive, remembering)


def language_links() -> list[dict[str, str]]:
    """The switch a desk page shows: each language in its own words, its code and its page `lang`."""
    return [{"code": lang, "name": NATIVE_NAMES[lang], "lang": html_lang(lang)} for lang in LANGUAGES]
