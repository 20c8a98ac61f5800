import numpy as np

def accumulate(
    values: np.ndarray,
    edges: np.ndarray,
    table: np.ndarray,
    low: float,
    scale: float,
    counts: np.ndarray,
    sums: np.ndarray,
    tallies: np.ndarray,
    sample: np.ndarray,
    step: int,
) -> None: ...
