"""The reference pages under ``docs/`` cannot go stale silently.

- ``docs/cli.md`` is generated from ``--help`` (``make docs``): it must equal what the generator
  gives now, and every command and subcommand of the click tree needs a help text, a section
  there and a mention in the README.
- ``docs/config.md`` is written by hand: every key the typed config models accept must be in
  it, with the default the models give.
- ``docs/json.md`` is written by hand: every command with a JSON schema needs a section that
  links to its schema and names every top-level key of its ``result``.
"""

from __future__ import annotations

import doctest
import math
import re
import types
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mlmon import schema
from mlmon.cli import docgen
from mlmon.config import Config, load_config, parse_duration
from tests.conftest import REPO

DOCS = REPO / "docs"


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- docs/cli.md ------------------------------------------------------------------------------


def test_cli_reference_is_current() -> None:
    assert _read(DOCS / "cli.md") == docgen.render(), "docs/cli.md is stale: run make docs"


def test_cli_reference_is_rendered_the_same_whatever_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = docgen.render()
    monkeypatch.setenv("COLUMNS", "33")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert docgen.render() == expected
    assert "\x1b[" not in expected, "the reference must carry no terminal colours"


def test_every_command_and_subcommand_is_documented() -> None:
    tree = list(docgen.commands())
    paths = [path for path, _, _ in tree]
    assert {"mlmon", "mlmon ingest", "mlmon registry", "mlmon registry list"} <= set(paths)
    cli_md = _read(DOCS / "cli.md")
    readme = _read(REPO / "README.md")
    for path, command, _ in tree:
        assert (command.help or "").strip(), f"`{path}` has no help text (its docstring)"
        assert f"\n## `{path}`\n" in cli_md, f"docs/cli.md has no section for `{path}`"
        if path != "mlmon":
            assert re.search(rf"{re.escape(path)}(?![\w-])", readme), (
                f"README.md never mentions `{path}`"
            )


def test_generator_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "cli.md"
    assert docgen.main([str(target)]) == 0
    assert _read(target) == docgen.render()


# --- docs/config.md ---------------------------------------------------------------------------


def _models_in(annotation: Any) -> list[tuple[str, type[BaseModel]]]:
    """The config models inside a field's type, each with what its keys are written under: a
    section (``""``), a list item (``"[]"``) or a mapping's value (``".<name>"``)."""
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [("", annotation)]
    if origin is Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(annotation) for m in _models_in(arg)]
    if origin is tuple:
        return [("[]", model) for _, model in _models_in(get_args(annotation)[0])]
    if origin is dict:
        return [(".<name>", model) for _, model in _models_in(get_args(annotation)[1])]
    return []


def _config_keys(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any]]:
    """``(key path, default)`` of every leaf key the model accepts, walking its sections;
    ``PydanticUndefined`` for a required key."""
    keys: list[tuple[str, Any]] = []
    for name, field in model.model_fields.items():
        if field.exclude is True:  # Config.source: not a YAML key
            continue
        key = prefix + (field.alias or name)
        inner = _models_in(field.annotation)
        if not inner:
            default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
            keys.append((key, default))
        for suffix, sub in inner:
            keys += _config_keys(sub, f"{key}{suffix}.")
    return keys


def _rows(markdown: str) -> dict[str, list[list[str]]]:
    """Table rows keyed by their first cell's backticked key (``<x>`` placeholders as
    ``<name>``)."""
    rows: dict[str, list[list[str]]] = {}
    for line in markdown.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        key = re.sub(r"<[a-z_]+>", "<name>", cells[0].strip("`"))
        rows.setdefault(key, []).append(cells)
    return rows


def _same_default(written: str, default: Any) -> bool:
    """Whether a table's default cell states the model's default."""
    if default is PydanticUndefined:
        return written == "required"
    if default is None:
        return written == "-"
    if not (written.startswith("`") and written.endswith("`")):
        return False
    text = written.strip("`")
    if isinstance(default, bool):
        return text == str(default).lower()
    if isinstance(default, int | float):
        try:
            value = float(text)
        except ValueError:
            value = parse_duration(text)  # a duration, written with its unit
        return math.isclose(value, default)
    if isinstance(default, dict | tuple | list):
        return text == ("{}" if isinstance(default, dict) else "[]") and not default
    return text == str(default)


CONFIG_KEYS = _config_keys(Config)


def test_the_walk_finds_every_section() -> None:
    keys = {key for key, _ in CONFIG_KEYS}
    assert {"model.name", "drift.concept.persist", "alerts.sinks[].retries"} <= keys
    assert "metrics.thresholds.<name>.max_drop" in keys
    assert {key.split(".")[0] for key in keys} == {
        f.alias or name for name, f in Config.model_fields.items() if f.exclude is not True
    }


@pytest.mark.parametrize(("key", "default"), CONFIG_KEYS, ids=[k for k, _ in CONFIG_KEYS])
def test_every_config_key_is_documented_with_its_default(key: str, default: Any) -> None:
    rows = _rows(_read(DOCS / "config.md")).get(key)
    assert rows, f"docs/config.md has no row for `{key}`"
    defaults = [d for k, d in CONFIG_KEYS if k == key]  # a sink's key may be in several types
    for cells in rows:
        assert len(cells) == 4, f"docs/config.md: the row of `{key}` needs 4 cells: {cells}"
        assert any(_same_default(cells[2], d) for d in defaults), (
            f"docs/config.md: `{key}` says default {cells[2]}; the config models say "
            f"{' or '.join(map(repr, defaults))}"
        )


def test_config_reference_documents_no_key_that_does_not_exist() -> None:
    keys = {key for key, _ in CONFIG_KEYS}
    unknown = sorted(set(_rows(_read(DOCS / "config.md"))) - keys)
    assert not unknown, f"docs/config.md documents keys the config does not accept: {unknown}"


def test_every_config_section_has_a_heading() -> None:
    text = _read(DOCS / "config.md")
    for name, field in Config.model_fields.items():
        if field.exclude is not True:
            assert f"\n## `{field.alias or name}`\n" in text, f"docs/config.md: no `{name}` section"


# --- docs/json.md -----------------------------------------------------------------------------


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = document["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _result_keys(name: str) -> set[str]:
    """The top-level keys of the command's ``result`` (of every shape, for ``registry``)."""
    document = schema.load(name)
    result = _resolve(document, document["$defs"]["document"]["properties"]["result"])
    shapes = [_resolve(document, s) for s in result.get("oneOf", [result])]
    return {key for shape in shapes for key in shape.get("properties", {})}


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("name", schema.COMMANDS)
def test_every_command_with_a_schema_has_a_json_section(name: str) -> None:
    text = _read(DOCS / "json.md")
    assert f"\n## {name}\n" in text, f"docs/json.md has no section for {name}"
    section = _section(text, name)
    link = f"(../mlmon/schema/{name}.schema.json)"
    assert link in section, f"docs/json.md: the {name} section does not link {link}"
    assert (DOCS / link[1:-1]).resolve().is_file()
    spans = re.findall(r"`[^`\n]+`", section)  # a key is named in code: `key` or `{a, key}`
    missing = sorted(
        k
        for k in _result_keys(name)
        if not any(re.search(rf"(?<![\w-]){k}(?![\w-])", s) for s in spans)
    )
    assert not missing, f"docs/json.md: the {name} section does not name {missing}"


def test_json_reference_names_every_error_type_and_status() -> None:
    text = _read(DOCS / "json.md")
    errors = _section(text, "Errors")
    error_type = schema.load(schema.ERROR)["properties"]["error"]["properties"]["type"]
    missing = [t for t in error_type["enum"] if f"`{t}`" not in errors]
    assert not missing, f"docs/json.md: the Errors section does not name {missing}"
    statuses = _section(text, "Statuses and exit codes")
    for name in schema.COMMANDS:
        status = schema.load(name)["$defs"]["document"]["properties"]["status"]
        for value in status.get("enum", [status.get("const")]):
            assert f"`{value}`" in statuses, f"docs/json.md: status {value!r} is not explained"


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the page's headings (lower case, punctuation dropped, spaces as -)."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def test_docs_links_point_at_files_and_headings() -> None:
    for page in [*sorted(DOCS.rglob("*.md")), REPO / "README.md"]:
        text = _read(page)
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            linked = (page.parent / target) if target else page
            assert linked.exists(), f"{page.name}: broken link {target}"
            if anchor and linked.suffix == ".md":
                assert anchor in _anchors(_read(linked)), f"{page.name}: no #{anchor} in {target}"


def test_the_readme_minimal_config_loads(tmp_path: Path) -> None:
    readme = _read(REPO / "README.md")
    block = readme.split("A minimal config", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "mlmon.yaml").write_text(block)
    config = load_config(tmp_path / "mlmon.yaml")
    assert config.store.path == tmp_path / "store"


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_docs_pages_pass_as_doctests(page: str) -> None:
    """pyproject's ``--doctest-glob='*.md'`` runs a page's ``>>>`` lines when pytest is pointed
    at it (``pytest docs``): a page must pass, or hold none."""
    text = _read(DOCS / page)
    test = doctest.DocTestParser().get_doctest(text, {}, page, str(DOCS / page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    assert runner.run(test, out=lambda _: None).failed == 0


def _property_names(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties":
                found |= set(value)
            _property_names(value, found)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, found)


@pytest.mark.parametrize("name", [*schema.COMMANDS, schema.ERROR])
def test_every_key_of_a_schema_at_any_depth_is_named_in_json_md(name: str) -> None:
    text = _read(DOCS / "json.md")
    keys: set[str] = set()
    _property_names(schema.load(name), keys)
    missing = sorted(k for k in keys if not re.search(rf"(?<![\w-]){k}(?![\w-])", text))
    assert not missing, f"{name}.schema.json: {missing} not in docs/json.md"
