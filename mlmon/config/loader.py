"""Read ``mlmon.yaml``: safe YAML, ``${ENV}`` substitution, validation, path resolution.

Every problem becomes a :class:`~mlmon.errors.ConfigError` that names the file and the key
path, e.g. ``mlmon.yaml: store.on_invalid: must be one of 'quarantine', 'reject' (got 'x')``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlmon.config.alerts import AlertsSection, JsonlSink, TextfileSink
from mlmon.config.model import Config
from mlmon.errors import ConfigError

DEFAULT_CONFIG = Path("mlmon.yaml")
CONFIG_ENV = "MLMON_CONFIG"
_ENV_REF = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HINT = "see the config reference in README.md, or run `mlmon init` for a commented starter file"


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses repeated keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (line {mark.line + 1})", mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def config_path(explicit: str | Path | None) -> Path:
    """The config file to use: ``--config``, else ``$MLMON_CONFIG``, else ``./mlmon.yaml``."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return DEFAULT_CONFIG


def load_config(path: str | Path) -> Config:
    """Load, substitute, validate and resolve a config file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"config file {path} not found" if not path.exists() else f"{path} is not a file",
            hint=f"pass --config PATH, set ${CONFIG_ENV}, or run `mlmon init` to write one",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    return parse_config(text, path)


def parse_config(text: str, path: Path) -> Config:
    """Validate config text that was read from ``path`` (used for messages and relative paths)."""
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {problem}", hint=_HINT) from exc
    if raw is None:
        raise ConfigError(f"{path}: the file is empty", hint=_HINT)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of sections, not a {type(raw).__name__}",
            hint=_HINT,
        )
    data = _substitute_env(raw, (), path)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = [f"{path}: {_describe(err)}" for err in exc.errors()]
        message = (
            lines[0]
            if len(lines) == 1
            else f"{path}: {len(lines)} problems:\n  " + "\n  ".join(lines)
        )
        raise ConfigError(message, hint=_HINT) from None
    store = config.store.model_copy(update={"path": _relative_to(path, config.store.path)})
    registry = config.registry.model_copy(update={"path": _relative_to(path, config.registry.path)})
    retrain = config.retrain
    if retrain.base_data is not None:
        retrain = retrain.model_copy(update={"base_data": _relative_to(path, retrain.base_data)})
    alerts = _alerts_relative(config.alerts, path)
    return config.model_copy(
        update={
            "source": path,
            "store": store,
            "registry": registry,
            "retrain": retrain,
            "alerts": alerts,
        }
    )


def _alerts_relative(alerts: AlertsSection, path: Path) -> AlertsSection:
    """The alerts section with its file and directory paths relative to the config file."""
    sinks = []
    for sink in alerts.sinks:
        if isinstance(sink, TextfileSink):
            sink = sink.model_copy(update={"directory": _relative_to(path, sink.directory)})
        elif isinstance(sink, JsonlSink):
            sink = sink.model_copy(update={"path": _relative_to(path, sink.path)})
        sinks.append(sink)
    state = None if alerts.state is None else _relative_to(path, alerts.state)
    return alerts.model_copy(update={"sinks": tuple(sinks), "state": state})


def _relative_to(config_file: Path, value: Path) -> Path:
    """A path from the config, relative to the config file's directory unless absolute."""
    value = value.expanduser()
    if value.is_absolute():
        return value
    # normpath turns "configs/../.demo/store" into ".demo/store" for readable messages
    return Path(os.path.normpath(config_file.parent / value))


def _substitute_env(node: Any, keys: tuple[Any, ...], path: Path) -> Any:
    """Replace ``${NAME}`` (and ``${NAME:-default}``) in every string value."""
    if isinstance(node, Mapping):
        return {k: _substitute_env(v, (*keys, k), path) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute_env(v, (*keys, i), path) for i, v in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        name, has_default, default = ref.partition(":-")
        where = f"{path}: {_dotted(keys)}"
        if not _ENV_NAME.match(name):
            raise ConfigError(
                f"{where}: '${{{ref}}}' is not a valid environment variable reference",
                hint="write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _",
            )
        value = os.environ.get(name)
        if value is None:
            if has_default:
                return default
            raise ConfigError(
                f"{where}: environment variable {name} is not set",
                hint=f"export {name}=... before running mlmon, or write ${{{name}:-default}}",
            )
        return value

    return _ENV_REF.sub(replace, node)


def _dotted(keys: tuple[Any, ...]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "(top level)"


def _describe(err: Any) -> str:
    """One line for one pydantic error: key path, then what is wrong and what is allowed."""
    loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
    loc = tuple("schema" if k == "schema_" else k for k in loc)
    kind, ctx, got = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "unknown_key":
        return f"{_dotted((*loc, ctx['key']))}: unknown key; allowed keys here: {ctx['allowed']}"
    if kind == "missing":
        return f"{_dotted(loc)}: required key is missing"
    if kind == "literal_error":
        return f"{_dotted(loc)}: must be one of {ctx['expected']} (got {got!r})"
    if kind in {"model_type", "dict_type"}:
        return f"{_dotted(loc)}: expected a mapping of keys, got {type(got).__name__} {got!r}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind in {
        "string_type",
        "int_parsing",
        "int_type",
        "float_parsing",
        "float_type",
        "bool_type",
        "list_type",
        "tuple_type",
        "greater_than",
        "less_than",
        "greater_than_equal",
        "less_than_equal",
        "too_short",
    }:
        msg = f"{msg[0].lower()}{msg[1:]} (got {got!r})"
    return f"{_dotted(loc)}: {msg}" if loc else msg
