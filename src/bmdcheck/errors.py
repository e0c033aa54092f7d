"""The one exception type users see, and the sanitiser for echoing user text to a terminal."""

import re


class BmdcheckError(ValueError):
    """Bad input or an impossible request; the message is one line, fit for the CLI."""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text) -> str:
    """``text`` with control characters (C0, DEL, C1, bidi overrides) shown as ``\\xNN`` / ``\\uNNNN``.

    For echoing names and messages from input files to a terminal: an ESC sequence in a scenario
    name must not recolour, move or clear the user's screen.
    """
    def esc(m):
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _CONTROL.sub(esc, str(text))
