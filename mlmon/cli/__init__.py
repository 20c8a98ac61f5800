"""The ``mlmon`` command line: thin commands over the library, one error boundary."""

from mlmon.cli.app import main

__all__ = ["main"]
