"""Change detectors (the registry of names is added with ADWIN)."""
