"""mlmon's version, read from the installed distribution's metadata.

A leaf module, so that any layer can name the version (the registry records it beside each
model it trains) without importing the package root, which is the Python API above them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlmon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
