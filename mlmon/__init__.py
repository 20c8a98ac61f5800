"""mlmon: monitor and maintain deployed machine-learning models from the command line."""

import os
from importlib.metadata import PackageNotFoundError, version

# scikit-learn's OpenMP threads spin while they wait by default. With two mlmon processes on a
# small machine (cron jobs overlapping, a CI runner), the spinning threads starve each other:
# three concurrent `mlmon drift` runs took 44 s instead of 10 s on 2 cores. Waiting passively
# costs nothing measurable alone. Set before scikit-learn (and its OpenMP runtime) is loaded;
# a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

try:
    __version__ = version("mlmon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
