"""mlmon: monitor and maintain deployed machine-learning models from the command line."""

from mlmon._version import __version__

# Importing mlmon changes nothing in the host process (no environment variables, threads or
# signal handlers): the command line's entry point, mlmon.cli.main, makes those settings.

__all__ = ["__version__"]
