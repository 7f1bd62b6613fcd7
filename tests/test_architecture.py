"""The import graph: no cycle among toolkit modules (counting imports made inside functions and
the implicit import of a parent package's ``__init__``), a model that imports no loader, tax
or planner, and no import inside a function without a comment saying why.

import-linter's contracts (``pyproject.toml``, ``make lint-imports``) check the layers; this
test builds the graph with grimp, import-linter's engine, and adds what a layers contract
cannot see: the ``__init__`` a submodule import runs first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1] / "toolkit"


def edges(graph: grimp.ImportGraph) -> dict[str, set[str]]:
    """Importer -> imported, with each imported submodule's parent packages added (importing
    ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first), except the importer's own
    ancestors (they are already being imported when it runs)."""
    out: dict[str, set[str]] = {m: set() for m in graph.modules}
    for m in graph.modules:
        for i in graph.find_modules_directly_imported_by(m):
            out[m].add(i)
            parts = i.split(".")
            for k in range(1, len(parts)):
                parent = ".".join(parts[:k])
                if parent in out and not m.startswith(parent + ".") and parent != m:
                    out[m].add(parent)
    return out


def cycles(e: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(e):
        if root in index:
            continue
        work = [(root, iter(sorted(e[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(e.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = stack.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("toolkit", cache_dir=None)


def test_the_cycle_finder_finds_a_cycle_through_a_parent_package():
    # pkg/__init__ imports pkg.a; pkg.a imports lib.x; lib/__init__ imports lib.y, which
    # imports pkg.b. Importing lib.x runs lib/__init__ first, and importing pkg.b runs
    # pkg/__init__ first: pkg -> pkg.a -> lib -> lib.y -> pkg is a cycle no direct import
    # shows (pkg.b itself is outside it).
    g = grimp.ImportGraph()
    for m in ("pkg", "pkg.a", "pkg.b", "lib", "lib.x", "lib.y"):
        g.add_module(m)
    g.add_import(importer="pkg", imported="pkg.a")
    g.add_import(importer="pkg.a", imported="lib.x")
    g.add_import(importer="lib", imported="lib.y")
    g.add_import(importer="lib.y", imported="pkg.b")
    assert cycles({m: {i for i in g.find_modules_directly_imported_by(m)}
                   for m in g.modules}) == []  # no cycle in the direct imports alone
    assert cycles(edges(g)) == [["lib", "lib.y", "pkg", "pkg.a"]]


def test_the_graph_counts_imports_made_inside_functions(tmp_path, monkeypatch):
    pkg = tmp_path / "lazy_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from lazy_pkg import b\n    return b\n")
    (pkg / "b.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    g = grimp.build_graph("lazy_pkg", cache_dir=None)
    assert g.find_modules_directly_imported_by("lazy_pkg.a") == {"lazy_pkg.b"}


def test_no_import_cycle_among_toolkit_modules(graph):
    assert cycles(edges(graph)) == []


@pytest.mark.parametrize("forbidden", ["toolkit.io", "toolkit.tax", "toolkit.planner",
                                       "toolkit.history"])
def test_the_model_imports_no_loader_tax_planner_or_history(graph, forbidden):
    e = edges(graph)
    seen: set[str] = set()
    todo = ["toolkit.household"]
    while todo:
        m = todo.pop()
        for i in e.get(m, ()):
            if i not in seen:
                seen.add(i)
                todo.append(i)
    hits = sorted(m for m in seen if m == forbidden or m.startswith(forbidden + "."))
    assert hits == []
    assert seen == {"toolkit.accounts", "toolkit.errors", "toolkit.schema",
                    "toolkit.securities", "toolkit.trading_rules"}


def test_no_import_inside_a_function_without_a_comment_saying_why():
    bad = []
    for p in sorted(ROOT.rglob("*.py")):
        lines = p.read_text().splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    mod = (sub.module or "") if isinstance(sub, ast.ImportFrom) else \
                        sub.names[0].name
                    rel = p.relative_to(ROOT).as_posix()
                    if "#" in lines[sub.lineno - 1]:
                        continue
                    bad.append(f"{rel}:{sub.lineno} {mod}")
    assert bad == []


def test_nothing_outside_the_tests_imports_a_private_name_across_modules():
    bad = []
    for p in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(p.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("toolkit"):
                own = ".".join(p.relative_to(ROOT.parent).with_suffix("").parts)
                for a in node.names:
                    if a.name.startswith("_") and node.module != own:
                        bad.append(f"{own}: from {node.module} import {a.name}")
    assert bad == []
