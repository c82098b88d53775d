"""The backend's packages import one another in one direction, and domain code knows no HTTP.

Every `import` of every backend module counts, those inside functions included (parsed with
ast, nothing is executed)."""

from __future__ import annotations

import ast
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[3] / "backend"
# Modules that wire the domains together (the composition root): they may import anything and
# nothing in a domain may import them.
COMPOSITION_ROOT = {"__main__", "cli", "app", "api", "deps", "wiring", "jobs", "orm_cli", "devtools", "demo"}
# Files of a domain package that are its HTTP edge; the rest (models, rules, service, ...) must
# not import sanic.
HTTP_FILES = {"views.py", "guards.py"}


def _node(module: str) -> str:
    """backend.booking.service -> booking; backend.errors -> errors."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _imports(path: Path, root: Path = BACKEND) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = ".".join(path.relative_to(root.parent).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, node.lineno))
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def import_graph(root: Path = BACKEND) -> dict[str, dict[str, list[str]]]:
    """node -> imported node -> where ("file:line"), between different backend packages."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        source = _node(module)
        graph.setdefault(source, {})
        for imported, line in _imports(path, root):
            if not imported.startswith("backend."):
                continue
            target = _node(imported)
            is_backend_node = (root / target).is_dir() or (root / f"{target}.py").exists()
            if target != source and is_backend_node:
                graph[source].setdefault(target, []).append(f"{path.relative_to(root.parent)}:{line}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_between_backend_packages():
    graph = import_graph()
    cycle = find_cycle(graph)
    where = [f"{a} -> {b}: {graph[a][b][:3]}" for a, b in zip(cycle, cycle[1:])] if cycle else []
    assert cycle is None, "import cycle between backend packages:\n" + "\n".join(where)


def test_no_domain_imports_the_composition_root():
    graph = import_graph()
    offenders = {
        f"{source} -> {target}": where[:3]
        for source, targets in graph.items()
        if source not in COMPOSITION_ROOT
        for target, where in targets.items()
        if target in COMPOSITION_ROOT
    }
    assert offenders == {}


def test_payments_knows_no_purpose():
    assert not {"booking", "inpatient", "catalog", "queueing"} & set(import_graph()["payments"])


def test_domain_code_does_not_import_sanic():
    offenders = []
    for path in sorted(BACKEND.rglob("*.py")):
        rel = path.relative_to(BACKEND)
        if len(rel.parts) < 2 or rel.name in HTTP_FILES or rel.parts[0] == "dev":
            continue  # top-level modules are the edge and the root; dev/ is the stand-ins' server side
        for imported, line in _imports(path):
            if imported == "sanic" or imported.startswith(("sanic.", "sanic_ext")):
                offenders.append(f"{rel}:{line} {imported}")
    assert offenders == []


def test_the_cycle_finder_finds_a_function_local_cycle(tmp_path):
    """The check itself: a cycle made only by an import inside a function is caught."""
    root = tmp_path / "backend"
    for pkg in ("alpha", "beta"):
        (root / pkg).mkdir(parents=True)
        (root / pkg / "__init__.py").write_text("")
    (root / "alpha" / "service.py").write_text("from backend.beta import service\n")
    (root / "beta" / "service.py").write_text("def f():\n    from backend.alpha.service import g\n")
    assert find_cycle(import_graph(root)) == ["alpha", "beta", "alpha"]
    (root / "beta" / "service.py").write_text("def f():\n    return 1\n")
    assert find_cycle(import_graph(root)) is None
