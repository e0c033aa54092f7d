"""The exceptions users see, and the sanitiser for echoing user text to a terminal.

Every error of bad input is a :class:`BmdcheckError` (a ``ValueError``), with a one-line message
fit for the command line. Subclasses say what kind of input was wrong; ``param`` names the
parameter of the Python call (``launch``, ``aim``, ``site``, ...) so that a front end can name its
own spelling of it (the CLI maps ``launch`` to ``--from``):

    >>> from bmdcheck.errors import InputError
    >>> e = InputError("latitude must be within [-90, 90] degrees, got 95", param="launch")
    >>> str(e)
    'launch: latitude must be within [-90, 90] degrees, got 95'
    >>> str(e.renamed("--from"))
    '--from: latitude must be within [-90, 90] degrees, got 95'

Anything else that escapes the library (``TypeError``, ``IndexError``, a bare ``ValueError`` from
NumPy) is a bug, not bad input: the CLI shows its traceback and exits 1.
"""

from __future__ import annotations


class BmdcheckError(ValueError):
    """Bad input or an impossible request; the message is one line, fit for the CLI.

    ``param``: the name of the parameter at fault (or None); the message then starts ``param: ``.
    """

    def __init__(self, message: str = "", *, param: str | None = None):
        self.detail = str(message)
        self.param = param
        super().__init__(f"{param}: {message}" if param else str(message))

    def renamed(self, name: str) -> "BmdcheckError":
        """The same error naming the parameter ``name`` (e.g. a command-line flag)."""
        e = type(self).__new__(type(self))
        BmdcheckError.__init__(e, self.detail, param=name)
        return e


class InputError(BmdcheckError):
    """A value out of its domain (a latitude of 95°, a negative time, a missing argument)."""


class CatalogueError(BmdcheckError):
    """An unknown catalogue name (missile, interceptor, site, radar, early-warning system)."""


class FileFormatError(BmdcheckError):
    """A file that cannot be read as what it should be (scenario, rules, threat samples, ledger)."""


def printable(text) -> str:
    """Text safe for a terminal: control and format characters (ESC, BEL, bidi overrides, ...) escaped
    as in repr (``\\x1b``, ``\\u202e``), everything printable (°, γ, ...) kept.

    For echoing names and messages from input files: an ESC sequence in a scenario name must not
    recolour, move or clear the user's screen.

        >>> printable("site\\x1b[2J")
        'site\\\\x1b[2J'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))
