"""Imports point inward (issue 15 item 9): read from the source of every module under mlmon/.

The layers, outermost first::

    entry     mlmon.__main__, mlmon.cli           parse, call, render, exit
    api       mlmon (its __init__)                the Python API
    ops       mlmon.ops                           one operation per command
    domain    store, registry, metrics, drift,    statistics, detectors, gates, stores
              concept, lifecycle, alerts,
              timewindow
    config    mlmon.config                        the typed config and its vocabulary
    leaf      errors, fsutil, outcome,            import nothing above themselves
              _speedups, _version, schema

A module imports its own layer or a lower one; the config imports only itself, the leaves and
the pure declarations listed in CONFIG_READS; the leaves import only leaves. Between the
packages (each top-level package or module of mlmon is one; each CONFIG_READS entry counts as
one of its own) there is no cycle. Every ``import`` counts: at module level, inside
functions and under ``if TYPE_CHECKING:``: a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "mlmon"

ENTRY, API, OPS, DOMAIN, CONFIG, LEAF = 5, 4, 3, 2, 1, 0
LAYER_NAMES = {
    ENTRY: "entry",
    API: "api",
    OPS: "ops",
    DOMAIN: "domain",
    CONFIG: "config",
    LEAF: "leaf",
}

LAYERS: dict[str, int] = {
    "mlmon.__main__": ENTRY,
    "mlmon.cli": ENTRY,
    "mlmon": API,
    "mlmon.ops": OPS,
    "mlmon.alerts": DOMAIN,
    "mlmon.concept": DOMAIN,
    "mlmon.datadrift": DOMAIN,
    "mlmon.health": DOMAIN,
    "mlmon.lifecycle": DOMAIN,
    "mlmon.performance": DOMAIN,
    "mlmon.registry": DOMAIN,
    "mlmon.store": DOMAIN,
    "mlmon.timewindow": DOMAIN,
    "mlmon.config": CONFIG,
    "mlmon.errors": LEAF,
    "mlmon.fsutil": LEAF,
    "mlmon.outcome": LEAF,
    "mlmon._speedups": LEAF,
    "mlmon._version": LEAF,
    "mlmon.schema": LEAF,
}
"""Each top-level package or module of mlmon and its layer; a new one must be placed here."""

CONFIG_READS: dict[str, str] = {
    "mlmon.concept.detectors": (
        "each detector declares its config name and its parameters' valid ranges beside its "
        "algorithm (one algorithm per module); the config checks drift.concept.detectors "
        "against those declarations, so that a bad parameter is a config error (exit 3)"
    ),
    "mlmon.datadrift.methods": (
        "each drift statistic declares its name, column kinds, direction and default threshold "
        "once (no numpy or scipy); the config offers those names as drift methods (issue 15 "
        "item 4), so that an unknown method is a config error (exit 3)"
    ),
}
"""Pure declarations the config may read although they sit in a domain package. Each must
itself import only leaves (test_what_the_config_reads_imports_only_leaves)."""

KNOWN_CYCLE_IMPORTS: dict[tuple[str, str], str] = {}
"""The imports (importer, imported module) that close a cycle today, each with the issue item
that removes it; the cycle test leaves out these imports only. test_known_exceptions_still_exist
fails once one is gone, so the list only shrinks."""


@dataclass(frozen=True)
class Import:
    """One import statement's target module, as seen in ``module`` at ``line``."""

    module: str
    target: str
    line: int

    def where(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def imports_in(module: str, source: str) -> Iterator[Import]:
    """Every mlmon module that ``module``, whose text is ``source``, imports, wherever the
    statement is; ``from a import b`` names module ``a.b`` when there is one, else ``a``."""
    is_package = module in MODULES and MODULES[module].name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "mlmon" or alias.name.startswith("mlmon."):
                    yield Import(module, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source != "mlmon" and not source.startswith("mlmon."):
                continue
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                yield Import(module, sub if sub in MODULES else source, node.lineno)


def all_imports() -> list[Import]:
    return [i for m, p in MODULES.items() for i in imports_in(m, p.read_text(encoding="utf-8"))]


def top(module: str) -> str:
    """The top-level package or module ``module`` belongs to (``mlmon`` for the root)."""
    return ".".join(module.split(".")[:2])


def package(module: str) -> str:
    """The package ``module`` counts in for cycles: its top-level package, except that the
    declarations the config reads (CONFIG_READS) count as a package of their own."""
    for allowed in CONFIG_READS:
        if _within(module, [allowed]):
            return allowed
    return top(module)


def layer(module: str) -> int:
    return LAYERS[top(module)]


def _within(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layering_violations(imports: list[Import]) -> list[str]:
    """Imports that point outward: to a layer above the importer's."""
    found = []
    for i in imports:
        source, target = layer(i.module), layer(i.target)
        if target > source and not (source == CONFIG and _within(i.target, CONFIG_READS)):
            found.append(
                f"{i.where()}: {LAYER_NAMES[source]} must not import {LAYER_NAMES[target]}"
            )
    return found


def package_graph(imports: list[Import]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {package(m): set() for m in MODULES}
    for i in imports:
        a, b = package(i.module), package(i.target)
        if a != b and (i.module, i.target) not in KNOWN_CYCLE_IMPORTS:
            graph[a].add(b)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one package (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _edges_between(imports: list[Import], members: list[str]) -> list[str]:
    return sorted(
        i.where()
        for i in imports
        if package(i.module) in members
        and package(i.target) in members
        and package(i.module) != package(i.target)
    )


# -- the tests ------------------------------------------------------------------------------


def test_every_top_level_package_and_module_has_a_layer() -> None:
    unplaced = sorted({top(m) for m in MODULES} - set(LAYERS))
    assert unplaced == [], f"place these in LAYERS of {Path(__file__).name}: {unplaced}"


def test_imports_point_inward_cli_to_ops_to_domain_to_config_and_leaves() -> None:
    assert layering_violations(all_imports()) == []


def test_no_domain_package_imports_the_cli_or_the_operations() -> None:
    outward = [
        i.where()
        for i in all_imports()
        if layer(i.module) <= DOMAIN and top(i.target) in ("mlmon.cli", "mlmon.ops")
    ]
    assert outward == []


def test_the_config_imports_only_itself_the_leaves_and_the_declarations_it_reads() -> None:
    reads = [
        i.where()
        for i in all_imports()
        if top(i.module) == "mlmon.config"
        and layer(i.target) not in (CONFIG, LEAF)
        and not _within(i.target, CONFIG_READS)
    ]
    assert reads == []


def test_what_the_config_reads_imports_only_leaves() -> None:
    """A declaration the config reads must not bring its domain package along: it imports
    only itself and leaves, and the packages that hold it import nothing from mlmon (their
    ``__init__`` runs when it is imported)."""
    found = []
    for allowed in CONFIG_READS:
        assert allowed in MODULES, f"CONFIG_READS names {allowed}, which does not exist"
        for i in all_imports():
            inside, target = _within(i.module, [allowed]), _within(i.target, [allowed])
            if inside and not target and layer(i.target) != LEAF:
                found.append(i.where())
        parent = allowed.rpartition(".")[0]
        while parent != "mlmon":
            found += [i.where() for i in all_imports() if i.module == parent]
            parent = parent.rpartition(".")[0]
    assert found == []


def test_no_import_cycle_between_packages_counting_imports_inside_functions() -> None:
    imports = all_imports()
    found = [
        f"{' <-> '.join(c)}: {_edges_between(imports, c)}" for c in cycles(package_graph(imports))
    ]
    assert found == []


def test_known_exceptions_still_exist() -> None:
    """Each exception is still needed: once its edge is gone, delete it from the list."""
    imports = {(i.module, i.target) for i in all_imports()}
    assert [known for known in KNOWN_CYCLE_IMPORTS if known not in imports] == []


# -- the checks catch what they are for -----------------------------------------------------


@pytest.mark.parametrize(
    ("module", "target", "rule"),
    [
        ("mlmon.performance.windows", "mlmon.cli.app", "domain must not import entry"),
        ("mlmon.store.ingest", "mlmon.ops", "domain must not import ops"),
        ("mlmon.config.model", "mlmon.performance.binary", "config must not import domain"),
        ("mlmon.errors", "mlmon.config", "leaf must not import config"),
        ("mlmon._speedups.jit", "mlmon.concept.detectors", "leaf must not import domain"),
    ],
)
def test_an_outward_import_is_reported_with_its_place(module: str, target: str, rule: str) -> None:
    (found,) = layering_violations([Import(module, target, 7)])
    assert found.startswith(f"{module}:7 imports {target}: ") and found.endswith(rule)


def test_a_cycle_through_a_function_level_import_is_found() -> None:
    source = "def load():\n    from mlmon.performance import windows\n"
    imports = all_imports() + list(imports_in("mlmon.store.scan", source))
    found = cycles(package_graph(imports))
    assert any({"mlmon.performance", "mlmon.store"} <= set(c) for c in found)
