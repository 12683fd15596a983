"""Code shape: no import cycles between modules, no function over 80 lines in src/.

The layering itself (imports flow down; only cli/tui import typer, rich, textual) is checked
by ``lint-imports`` in ``make lint`` (contracts in pyproject.toml).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import grimp

SRC = Path(__file__).resolve().parents[1] / "src"
MAX_FUNCTION_LINES: Final = 80

# Cycles still being removed by their owners; anything else is a failure.
KNOWN_CYCLES: Final[dict[frozenset[str], str]] = {}

# Functions allowed over the limit, by module-qualified name, with the reason.
LONG_FUNCTIONS: Final[dict[str, str]] = {
    "litdigest.store.migrations.m001_initial": "SQL: the initial schema, one CREATE per table",
}


def _strongly_connected(adjacency: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(adjacency):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(adjacency[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(adjacency.get(nxt, set()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_import_cycles_between_modules() -> None:
    graph = grimp.build_graph("litdigest", exclude_type_checking_imports=True)
    adjacency = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = [c for c in _strongly_connected(adjacency) if frozenset(c) not in KNOWN_CYCLES]
    assert not cycles, f"import cycles: {[sorted(c) for c in cycles]}"


def test_cycle_finder_sees_a_cycle() -> None:
    assert _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        {"a", "b", "c"}
    ]


def _functions(tree: ast.AST, prefix: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            assert node.end_lineno is not None
            out.append((prefix + node.name, node.end_lineno - node.lineno + 1))
            out += _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            out += _functions(node, f"{prefix}{node.name}.")
    return out


def test_no_function_over_80_lines() -> None:
    too_long: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name, lines in _functions(tree, f"{module}."):
            if lines > MAX_FUNCTION_LINES and name not in LONG_FUNCTIONS:
                too_long.append(f"{name}: {lines} lines")
    assert not too_long, "split these into named steps: " + "; ".join(too_long)
