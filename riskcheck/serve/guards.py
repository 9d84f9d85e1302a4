"""The app's guards: which hosts it answers, the headers every answer carries, the password beyond this
machine, and a posted form read within limits before it is parsed.

Each is small and has one job, so serve/app.py's pages can rely on them without repeating them.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from riskcheck.i18n import _
from riskcheck.errors import RiskcheckError

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_FORM_BYTES = 256 * 1024  # a note of 10,000 characters, each up to 4 bytes and %-encoded, and the rest
MAX_FORM_FIELDS = 8
MIN_PASSWORD_CHARS = 12
MIN_PASSWORD_DISTINCT = 6
MAX_FAILED_GUESSES = 10  # wrong passwords from one address within GUESS_WINDOW before it is refused
GUESS_WINDOW = 15 * 60.0

SECURITY_HEADERS = [(b"content-security-policy", b"frame-ancestors 'none'"), (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def password_problem(password: str | None) -> str:
    """Why a password cannot protect the app on a network ("" when it can)."""
    if password is None or len(password) < MIN_PASSWORD_CHARS:
        return f"a password of {MIN_PASSWORD_CHARS} characters or more"
    if len(set(password.strip())) < MIN_PASSWORD_DISTINCT:
        return f"a password of at least {MIN_PASSWORD_DISTINCT} different characters (not spaces or one key repeated)"
    return ""


def host_name(header: str) -> str:
    """The host a request names, without its port: '[::1]:8000' -> '::1', 'localhost:8000' -> 'localhost'."""
    if header.startswith("["):
        return header[1:header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class HostCheck:
    """Answer only requests addressed to one of `hosts` (IPv6 literals in brackets understood); '*' allows any."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app, self.hosts = app, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "*" not in self.hosts:
            header = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host_name(header).lower() not in self.hosts:
                await Response("Invalid host header", status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Every answer, pages and redirects alike, may not be framed by another site nor sniffed as another type."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in SECURITY_HEADERS if k not in names)]
            await send(message)
        await self.app(scope, receive, with_headers)


class PasswordRequired:
    """HTTP Basic authentication for serving beyond this machine: any user name, the password set at start.

    Each wrong password from an address waits a little longer (up to `delay` x 8 seconds); after
    MAX_FAILED_GUESSES within GUESS_WINDOW the address is refused until the window has passed."""

    def __init__(self, app: ASGIApp, password: str, delay: float = 0.25) -> None:
        self.app, self.password, self.delay = app, password, delay
        self.failures: dict[str, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        now = time.monotonic()
        recent = [t for t in self.failures.get(client, []) if now - t < GUESS_WINDOW]
        self.failures[client] = recent
        if len(recent) >= MAX_FAILED_GUESSES:
            wait = int(GUESS_WINDOW - (now - recent[0])) + 1
            await Response(f"Too many wrong passwords from this address: try again in {wait // 60 + 1} minute(s).",
                           status_code=429, headers={"Retry-After": str(wait)})(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        if not self._allowed(header):
            if header:
                recent.append(now)
                await asyncio.sleep(self.delay * min(len(recent), 8))
            response = Response("A password is needed.", status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="riskcheck review", charset="UTF-8"'})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, header: bytes) -> bool:
        import base64
        import binascii

        if not header.startswith(b"Basic "):
            return False
        try:
            _, _, given = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return secrets.compare_digest(given.encode("utf-8"), self.password.encode("utf-8"))


class FormRefused(RiskcheckError):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


async def read_form(request: Request) -> dict[str, str]:
    """A posted form, read only up to MAX_FORM_BYTES and MAX_FORM_FIELDS, before anything is parsed."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, _("This form must be sent as the app's own page sends it."))
    try:
        declared = int(request.headers.get("content-length", "0"))
    except ValueError:
        raise FormRefused(400, _("The form's length is not a number.")) from None
    if declared > MAX_FORM_BYTES:
        raise FormRefused(413, _("The form is too large."))
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormRefused(413, _("The form is too large."))
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS,
                          errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, _("The form could not be read.")) from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form
