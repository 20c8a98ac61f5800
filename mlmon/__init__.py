"""mlmon: monitor and maintain deployed machine-learning models from the command line."""

import os

from mlmon._version import __version__

# scikit-learn's models here are small (a domain classifier on 10,000 rows, a retrain on a few
# weeks of logs); polars does the heavy work with its own threads. With OpenMP's default
# threads, concurrent mlmon runs starved each other (threads spinning while they wait: three
# concurrent `mlmon drift` took 44 s on 2 cores), and waiting passively made small fits 5x
# slower. One OpenMP thread avoids both: 3.2 s alone, 5.1 s for three at once. Set before
# scikit-learn loads its OpenMP runtime; a value the user set wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

__all__ = ["__version__"]
