"""The one exception type users see, and the sanitiser for echoing user text to a terminal."""


class BmdcheckError(ValueError):
    """Bad input or an impossible request; the message is one line, fit for the CLI."""


def printable(text) -> str:
    """Text safe for a terminal: control and format characters (ESC, BEL, bidi overrides, ...) escaped
    as in repr (``\\x1b``, ``\\u202e``), everything printable (°, γ, ...) kept.

    For echoing names and messages from input files: an ESC sequence in a scenario name must not
    recolour, move or clear the user's screen.
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
