"""Data health: the cheap checks of ``mlmon check`` (issue 16) that catch silent failures.
Pure: counts and shares in, verdicts with their evidence out."""
