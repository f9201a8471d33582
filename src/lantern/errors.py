"""Errors that are the user's to fix: the CLI prints them as one line, never a traceback."""


class LanternError(Exception):
    """A mistake in input, configuration or usage, with a message that says how to fix it."""
