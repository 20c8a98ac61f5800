"""Configuration: ``mlmon.yaml`` as typed, frozen objects."""

from mlmon.config.base import parse_duration
from mlmon.config.loader import config_path, load_config, parse_config
from mlmon.config.model import Config
from mlmon.config.sections import (
    FeaturesSection,
    ModelSection,
    SchemaSection,
    StoreSection,
)

__all__ = [
    "Config",
    "FeaturesSection",
    "ModelSection",
    "SchemaSection",
    "StoreSection",
    "config_path",
    "load_config",
    "parse_config",
    "parse_duration",
]
