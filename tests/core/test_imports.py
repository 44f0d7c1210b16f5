"""The house rules on imports, read from the source with `ast` (nothing is imported):

- no module uses another module's `_private` name (`from x import _y`, `import x._y`, `x._y`);
  what another module needs is public, in an access module if need be;
- the graph of imports between modules has no cycles.

A module is one file (a package is its `__init__`). Every import statement is an edge, wherever it
sits: at the top, inside a function (most function-local imports exist only to dodge a cycle,
which is still a cycle) or under `if TYPE_CHECKING:` (a dependency all the same). One edge is left
out: importing `p.m` runs `p/__init__` first, but a package's `__init__` registering its own
modules is not a dependency of those modules on it. `importlib.import_module` by name (the app's
FEATURES list) is not an import statement and is not seen. Tests may reach inside the module they
test; the rules hold for the application's packages.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accounts", "audit", "beacon", "bench", "core", "crypto", "deposits", "evaluation", "expert_draw", "portal",
            "registry", "scripts", "tender")  # migrations/versions are Alembic scripts, not modules
TOP_LEVEL = ("wsgi",)


def module_files(root: Path = ROOT, packages=PACKAGES, top_level=TOP_LEVEL) -> dict[str, Path]:
    """Every module by dotted name."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for name in top_level:
        if (root / f"{name}.py").exists():
            found[name] = root / f"{name}.py"
    return found


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of a `from … import` statement's module (relative ones resolved)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """The module that `name` (a module, or a name inside one) belongs to."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def scan(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """(module → the modules it imports, each use of another module's private name as "file:line: what")."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    private: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(path.parents[len(module.split(".")) - (path.name != "__init__.py")])
        aliases: dict[str, str] = {}  # local name → the module it is bound to

        named: list[tuple[str, int]] = []  # (what an import statement names, its line)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    named.append((alias.name, node.lineno))
                    if alias.name in modules:
                        aliases[alias.asname or alias.name.split(".")[0]] = (
                            alias.name if alias.asname else alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                target = _absolute(module, path, node)
                for alias in node.names:
                    named.append((f"{target}.{alias.name}", node.lineno))
                    if f"{target}.{alias.name}" in modules:
                        aliases[alias.asname or alias.name] = f"{target}.{alias.name}"
        for what, line in named:
            owner = _owner(what, modules)
            if owner is None or owner == module:
                continue
            graph[module].add(owner)
            if any(_is_private(part) for part in what.split(".")):
                private.append(f"{where}:{line}: {what}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_private(node.attr):
                base = _dotted(node.value)
                head, _, rest = (base or "").partition(".")
                if head in aliases:
                    target = f"{aliases[head]}.{rest}" if rest else aliases[head]
                    if target in modules and target != module:
                        private.append(f"{where}:{node.lineno}: {target}.{node.attr}")
    return graph, sorted(set(private))


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while component[-1:] != [node]:
                        component.append(stack.pop())
                        on_stack.discard(component[-1])
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def test_no_module_uses_another_modules_private_name():
    _graph, private = scan(module_files())
    assert private == [], "make these public (or move them to the module that uses them):\n" + "\n".join(private)


def test_the_modules_import_one_way():
    graph, _private = scan(module_files())
    found = cycles(graph)
    assert found == [], "import cycles between modules:\n" + "\n".join(" ↔ ".join(c) for c in found)


def test_the_checks_catch_what_they_are_for(tmp_path):
    """Both checks on a small made-up package: each kind of breach is reported, the allowed forms are not."""
    files = {
        "pkg/__init__.py": "def register(app):\n    from pkg import a, b  # the package registers its modules\n",
        "pkg/a.py": "from pkg.b import shown, _hidden\nimport pkg.c as c\nX = c._secret\n",
        "pkg/b.py": "def shown():\n    from pkg import c  # dodging a cycle is still one\n\n_hidden = 1\n",
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import shown\n"
                    "from pkg.d import __version__\n_secret = 1\n",
        "pkg/d.py": "__version__ = '1'\nfrom . import e\n",
        "pkg/e.py": "from .d import __version__\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    graph, private = scan(module_files(tmp_path, ("pkg",), ()))
    assert private == ["pkg/a.py:1: pkg.b._hidden", "pkg/a.py:3: pkg.c._secret"]
    assert graph["pkg"] == {"pkg.a", "pkg.b"} and graph["pkg.a"] == {"pkg.b", "pkg.c"}
    assert cycles(graph) == [["pkg.b", "pkg.c"], ["pkg.d", "pkg.e"]]
    assert cycles({"x": {"y"}, "y": {"z"}, "z": set()}) == []


def test_each_package_opens_with_a_map_of_its_modules():
    """A newcomer opens `__init__.py` and finds every module of the package named (in backquotes) with what
    it is for; a module added without a line there fails here."""
    unnamed = []
    for package in sorted({p.parent for p in module_files().values() if p.name == "__init__.py"}):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
        named = {n.split(".")[0] for n in re.findall(r"`+([\w.]+)`+", doc)}
        modules = [p.stem for p in package.glob("*.py") if p.stem != "__init__"]
        modules += [p.parent.name for p in package.glob("*/__init__.py")]
        unnamed += [f"{package.relative_to(ROOT)}/__init__.py: {m}" for m in sorted(modules) if m not in named]
    assert unnamed == [], "name these modules in their package's map:\n" + "\n".join(unnamed)
