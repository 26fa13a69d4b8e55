"""The package's layers, checked on the source (no module is imported).

The rule (docs/architecture.md): every ``gatecast`` import is a top-level statement of its
module (none inside a function, a class, ``if TYPE_CHECKING:`` or ``try:``), the modules'
import graph has no cycle, each package imports only from the packages of the layers below
its own (:data:`LAYERS`), and no source file passes 400 lines.

How an import statement becomes an edge of the file-level graph: ``import gatecast.a.b`` and
``from gatecast.a.b import name`` point to the module ``gatecast.a.b`` (its ``__init__.py`` for a
package), except that ``from gatecast.a import b`` points to ``gatecast.a.b`` when ``b`` is a
module. Python also runs the ``__init__.py`` of every enclosing package first; those implicit
edges are not counted (every module would then depend on ``gatecast/__init__.py``), which is
why a package's ``__init__.py`` must stay cheap where it is imported from below.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "gatecast"

#: Bottom to top. A package may import the packages of lower layers only (never one of its
#: own layer, never one above). Top-level modules (``gatecast/errors.py``) count as packages;
#: ``gatecast`` is the package's ``__init__.py``, which sits on top of everything.
LAYERS: list[tuple[str, ...]] = [
    ("_version", "errors"),  # leaves
    ("checks",),  # limits and "whole number >= k"
    ("threads", "catalog"),  # thread budget; the model registry (by name, imports nothing)
    ("data", "datasets", "metrics"),  # frames, transforms, windows; bundled data; scores
    ("engine",),  # executors: map a function over partitions (local, processes, Ray)
    ("nn",),  # torch networks: tensors in, tensors out
    ("training", "reference"),  # the trainer; numpy reference cells for gradient checks
    ("io",),  # files: paths, the model-file format, weights, ONNX export of networks
    ("pretrained",),  # the pretrained network: corpus, pretraining, weights, inference
    ("models",),  # forecasters (fit/predict) over numpy kernels and networks
    ("diagnostics",),  # shift, residuals, stationarity, gradient flow, in-sample fits
    ("evaluation",),  # the run layer: forecast, backtest, compare
    ("plotting",),
    ("report",),
    ("grid", "classify"),  # applications: spatiotemporal grids, sequence classification
    ("cli",),
    ("gatecast",),  # gatecast/__init__.py: the public API
]

#: Files allowed over the limit (none: every file was split by idea).
KNOWN_LONG: set[str] = set()
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(tree: ast.Module, modules: set[str]) -> list[tuple[ast.stmt, set[str]]]:
    """Every import statement that names gatecast modules, with the modules it points to."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = {a.name for a in node.names if a.name.split(".")[0] == "gatecast"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and (
                node.module.split(".")[0] == "gatecast"):
            # "from gatecast.a import b" points to the module gatecast.a.b when there is one
            targets = {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules
                       else node.module for a in node.names}
        else:
            continue
        if targets:
            out.append((node, targets))
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the gatecast modules its import statements point to."""
    modules = _sources()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for _, targets in _imports(ast.parse(path.read_text(encoding="utf-8")), set(modules)):
            unknown = targets - set(modules)
            assert not unknown, f"{name} imports {sorted(unknown)}, which are not modules"
            graph[name] |= targets - {name}
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "gatecast"


def test_no_gatecast_import_inside_a_function_or_block() -> None:
    modules = _sources()
    hidden = []
    for path in modules.values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        hidden += [f"{path.relative_to(SRC)}:{node.lineno} imports {', '.join(sorted(targets))}"
                   for node, targets in _imports(tree, set(modules)) if id(node) not in top]
    assert not hidden, ("gatecast imports belong at the top of the module (one inside a"
                        " function hides a cycle):\n" + "\n".join(hidden))


def test_file_level_import_graph_has_no_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target):], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_packages_import_only_from_lower_layers() -> None:
    rank = {pkg: k for k, layer in enumerate(LAYERS) for pkg in layer}
    packages = {_package(m) for m in _sources()}
    assert packages == set(rank), ("every package has a layer in LAYERS (and every entry is a"
                                   f" package): {sorted(packages ^ set(rank))}")
    wrong = []
    for module, targets in _graph().items():
        src = _package(module)
        for target in sorted(targets):
            dst = _package(target)
            if dst != src and rank[dst] >= rank[src]:
                wrong.append(f"{module} ({src}, layer {rank[src]}) imports {target}"
                             f" ({dst}, layer {rank[dst]})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_no_source_file_over_400_lines() -> None:
    long = {}
    for path in ROOT.rglob("*.py"):
        n = len(path.read_text(encoding="utf-8").splitlines())
        rel = path.relative_to(ROOT).as_posix()
        if n > MAX_LINES and rel not in KNOWN_LONG:
            long[rel] = n
    assert not long, f"files over {MAX_LINES} lines (split them by idea): {long}"
