"""Showing text from a stranger without letting it control the screen.

Control characters (ESC, BEL, NUL ...) can move a terminal's cursor or recolour it; invisible
formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE, zero-width spaces) can make one name display
as another. Validation refuses the first and warns about the second; wherever text is shown -
terminal, message, page - each such character is replaced by a visible mark such as [U+202E].
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# C0 and C1 controls except tab and line break, DEL, and the format (Cf) characters of Unicode 14
# (tests check this list against the running Python's unicodedata).
FORMAT_RANGES = ((0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
                 (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
                 (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
                 (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
                 (0xE0001, 0xE0001), (0xE0020, 0xE007F))
_HIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f" +
                     "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in FORMAT_RANGES) + "]")


# What an http(s) address may hold, one pattern for every check (validation in SQL, the report, rule files, imports):
# no space or control, no <>"` (they end an address in text), no invisible formatting character and no Unicode
# space or line separator (U+2028 looks like nothing and ends a line). Written so Python's re and DuckDB's RE2
# read it alike: ASCII by escape, the rest as literal characters. An apostrophe is allowed (O'Brien in a
# Wikipedia address); pages escape it.
_UNICODE_SPACES = ((0x00A0, 0x00A0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F),
                   (0x205F, 0x205F), (0x3000, 0x3000))
_NOT_IN_URL = "\\x00-\\x20\\x7f-\\x9f<>\"`" + "".join(
    chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in FORMAT_RANGES + _UNICODE_SPACES if a > 0x9F)
URL_PATTERN = f"https?://[^{_NOT_IN_URL}]+"
_URL = re.compile(URL_PATTERN)


def http_url(value: str | None) -> str | None:
    """The address if it is one riskcheck links to (http or https, nothing hidden in it), else None: a
    javascript: or data: address never becomes a link. Spaces around it are ignored, as SQL's trim does."""
    if isinstance(value, str) and _URL.fullmatch(value.strip(" ")):
        return value.strip(" ")
    return None


def has_hidden(text: str) -> bool:
    return _HIDDEN.search(text) is not None


def reveal(text: str) -> str:
    """The text with every control or invisible formatting character replaced by a visible mark: [U+202E]."""
    return _HIDDEN.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def page_value(value):
    """Jinja2 `finalize` for pages: text holding hidden characters is shown marked, in its own
    direction-isolated span, so it cannot reorder the text around it."""
    if isinstance(value, str) and not isinstance(value, Markup) and has_hidden(value):
        return Markup('<bdi class="hidden-chars" title="holds invisible or control characters">{}</bdi>'
                      ).format(escape(reveal(value)))
    return value
