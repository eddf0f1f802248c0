"""The one error type for bad input: raised by every layer, printed by the CLI (exit 2)."""


class ParameterError(ValueError):
    """A parameter is outside its allowed range (the message names it and the range)."""
