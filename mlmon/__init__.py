"""mlmon: monitor and maintain deployed machine-learning models from the command line."""

from importlib.metadata import PackageNotFoundError, version

# Importing mlmon changes nothing in the host process (no environment variables, threads or
# signal handlers): the command line's entry point, mlmon.cli.main, makes those settings.

try:
    __version__ = version("mlmon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
