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
from mlmon.config.base import ECHO_CHARS, short, short_repr
from mlmon.config.model import Config
from mlmon.errors import ConfigError

DEFAULT_CONFIG = Path("mlmon.yaml")
CONFIG_ENV = "MLMON_CONFIG"
_ENV_REF = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HINT = (
    "see the config reference in docs/config.md, or run `mlmon init` for a commented starter file"
)

MAX_CONFIG_BYTES = 1024 * 1024
"""A config file larger than this is refused unread: a real one is a few KiB."""

MAX_PROBLEMS = 20
"""The most problems one config error lists (the count says how many there are)."""

MAX_YAML_NODES = 100_000
"""The most values a config may expand to through YAML aliases (``*name``). PyYAML builds
an alias as a shared node, but everything after it (substitution, validation) walks the
expanded tree: 8 KiB of nested aliases (a "billion laughs") expand to billions."""


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
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(MAX_CONFIG_BYTES + 1) if size <= MAX_CONFIG_BYTES else b""
        if size > MAX_CONFIG_BYTES or len(data) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{path}: the file is {max(size, len(data)) / 2**20:.1f} MiB; a config file "
                f"may be at most {MAX_CONFIG_BYTES // 2**20} MiB",
                hint="is this the right file? " + _HINT,
            )
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {short(str(exc))}") from exc
    return parse_config(text, path)


def _load_yaml(text: str) -> Any:
    """The YAML document, refusing aliases that expand beyond :data:`MAX_YAML_NODES`."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node) -> None:
    """Count the values of the tree the node graph expands to (each shared node once per
    use, memoised so that the count itself is linear); refuse a cycle or too many."""
    seen: set[int] = set()
    stack = [root]
    while stack:  # the distinct nodes first: a document too large without any alias
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_YAML_NODES:
            raise _AliasBomb(f"the YAML holds more than {MAX_YAML_NODES:,} values")
        if isinstance(node, yaml.SequenceNode):
            stack += node.value
        elif isinstance(node, yaml.MappingNode):
            stack += [part for pair in node.value for part in pair]
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _AliasBomb("a YAML alias (*name) refers to a node that contains it")
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_.discard(key)
        if total > MAX_YAML_NODES:
            raise _AliasBomb(
                f"YAML aliases expand to more than {MAX_YAML_NODES:,} values; a config has "
                "no use for that many"
            )
        sizes[key] = total
        return total

    size(root)


class _AliasBomb(Exception):
    """A document too large once its aliases are expanded (or too large as written)."""


def parse_config(text: str, path: Path) -> Config:
    """Validate config text that was read from ``path`` (used for messages and relative paths)."""
    try:
        raw = _load_yaml(text)
    except _AliasBomb as exc:
        aliases = "alias" in str(exc)
        raise ConfigError(
            f"{path}: {exc}",
            hint="write the values out, or use fewer aliases (*name)"
            if aliases
            else "is this the right file? " + _HINT,
        ) from None
    except RecursionError:
        raise ConfigError(f"{path}: the YAML nests too deeply", hint=_HINT) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: invalid YAML: {short(problem, 200)}", hint=_HINT) from exc
    if raw is None:
        raise ConfigError(f"{path}: the file is empty", hint=_HINT)
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of sections, not a {type(raw).__name__}",
            hint=_HINT,
        )
    # unknown sections first: no work (substitution, validation) on a document that is not
    # a config at all
    sections = {f.alias or name for name, f in Config.model_fields.items() if f.exclude is not True}
    for key in raw:
        if key not in sections:
            raise ConfigError(
                f"{path}: {short(key)}: unknown key; allowed keys here: "
                f"{', '.join(sorted(sections))}",
                hint=_HINT,
            )
    data = _substitute_env(raw, (), path)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        lines = [f"{path}: {_describe(err)}" for err in errors[:MAX_PROBLEMS]]
        if len(errors) > MAX_PROBLEMS:  # a list of thousands of bad values: the first few
            lines.append(f"… and {len(errors) - MAX_PROBLEMS:,} more")
        message = (
            lines[0]
            if len(lines) == 1
            else f"{path}: {len(errors):,} problems:\n  " + "\n  ".join(lines)
        )
        raise ConfigError(message, hint=_HINT) from None
    store = config.store.model_copy(update={"path": _relative_to(path, config.store.path)})
    registry = config.registry.model_copy(update={"path": _relative_to(path, config.registry.path)})
    retrain = config.retrain
    if retrain.base_data is not None:
        retrain = retrain.model_copy(update={"base_data": _relative_to(path, retrain.base_data)})
    alerts = _alerts_relative(config.alerts, path)
    check = config.check
    if check.contract is not None:
        check = check.model_copy(update={"contract": _relative_to(path, check.contract)})
    return config.model_copy(
        update={
            "source": path,
            "store": store,
            "registry": registry,
            "retrain": retrain,
            "alerts": alerts,
            "check": check,
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
                f"{where}: '${{{short(ref)}}}' is not a valid environment variable reference",
                hint="write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _",
            )
        value = os.environ.get(name)
        if value is None:
            if has_default:
                return default
            raise ConfigError(
                f"{where}: environment variable {short(name)} is not set",
                hint=f"export {short(name)}=... before running mlmon, or write "
                f"${{{short(name)}:-default}}",
            )
        return value

    return _ENV_REF.sub(replace, node)


def _dotted(keys: tuple[Any, ...]) -> str:
    out = ""
    for k in keys:
        k = k if isinstance(k, int) else short(k)
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
        return f"{_dotted(loc)}: must be one of {ctx['expected']} (got {short_repr(got)})"
    if kind in {"model_type", "dict_type"}:
        return (
            f"{_dotted(loc)}: expected a mapping of keys, got {type(got).__name__} "
            f"{short_repr(got)}"
        )
    msg = str(err["msg"]).removeprefix("Value error, ")
    # a validator's own message may quote the value: shorten it, and any context value long
    # enough to be an echo rather than a list of choices
    for value in (got, *ctx.values()):
        limit = ECHO_CHARS if value is got else 300
        if isinstance(value, str) and len(value) > limit:
            msg = msg.replace(repr(value), short_repr(value)).replace(value, short(value))
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
        msg = f"{msg[0].lower()}{msg[1:]} (got {short_repr(got)})"
    msg = short(msg, 1000)  # the last guard: no line of a config error is megabytes long
    return f"{_dotted(loc)}: {msg}" if loc else msg
