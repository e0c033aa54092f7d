"""The one exception type users see."""


class BmdcheckError(ValueError):
    """Bad input or an impossible request; the message is one line, fit for the CLI."""
