"""Imports flow one way: no circle anywhere in the package, and no room imports a room above it.

The graph is read from the source with the standard library's `ast` (every import counts,
including one inside a function: that is how the last circle hid). A new top-level module or
package must be given a layer below, which is the moment to decide where it belongs
(ARCHITECTURE.md names the rooms).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "papersieve"

LAYERS: tuple[frozenset[str], ...] = (
    # 0: plain values and helpers every room may use
    frozenset({"papersieve", "models", "errors", "ids", "authors", "endpoints", "home", "candidates",
               "validate", "today", "schedule", "bibtex", "redact", "interrupts", "codelinks",
               "outbound", "language", "tldr", "library", "localfiles"}),
    # 1: configuration and the record
    frozenset({"profile", "store"}),
    # 2: the stages of a day
    frozenset({"sources", "ingest", "prefilter", "judges", "selection", "outcomes", "digests",
               "render", "deliver", "feedback", "rebuild", "weekly", "chatfeedback"}),
    # 3: one day, end to end; what builds on the stages (teaching a profile, a live library)
    frozenset({"pipeline", "catchup", "group", "group_ahead", "group_ray", "onboarding", "zotero"}),
    # 4: what is built on whole days
    frozenset({"demo", "eval", "web"}),
    # 5: the only place that exits
    frozenset({"cli", "__main__"}),
)
"""Top-level rooms from the bottom up: a room may import its own layer and those below."""

LOCAL_ROOMS = ("text", "features", "model", "explain", "judge", "crowd", "questions")
"""The local judge's rooms in the order data flows (judges/local/README.md)."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                           for alias in node.names]
            for target in targets:
                if target == PACKAGE or target.startswith(PACKAGE + "."):
                    resolved = _resolve(target, modules)
                    if resolved != name:
                        graph[name].add(resolved)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _layer(room: str) -> int:
    for level, rooms in enumerate(LAYERS):
        if room in rooms:
            return level
    raise AssertionError(f"papersieve.{room} has no layer: add it to LAYERS in {Path(__file__).name}")


def _local_room(module: str) -> int | None:
    prefix = "papersieve.judges.local."
    if not module.startswith(prefix):
        return None
    room = module[len(prefix):].split(".")[0]
    return LOCAL_ROOMS.index(room) if room in LOCAL_ROOMS else None


def test_no_import_circle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_room_imports_a_room_above_it() -> None:
    upward = []
    for module, imports in import_graph().items():
        for target in imports:
            if _layer(_room(target)) > _layer(_room(module)):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_local_judge_rooms_flow_one_way() -> None:
    graph = import_graph()
    wrong = []
    for module, imports in graph.items():
        here = _local_room(module)
        if here is None and module.startswith("papersieve.judges.local."):
            wrong.append(f"{module} is in no room of {LOCAL_ROOMS}")
        for target in imports:
            there = _local_room(target)
            if here is not None and there is not None and there > here:
                wrong.append(f"{module} -> {target}")
            if module.startswith("papersieve.judges.local") and target.startswith(
                    ("papersieve.judges.hybrid", "papersieve.judges.llm", "papersieve.judges.factory")):
                wrong.append(f"{module} -> {target}")
    assert wrong == []
