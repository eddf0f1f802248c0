"""Subcommands of ``symbn``: each module defines ``register(subparsers)`` and sets ``func``."""
