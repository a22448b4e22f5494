"""Apps import only downward, and no module imports one that imports it back.

The order, lowest first: ccadmin <- partitions <- services <- contacts <- interactions,
then the administration API (api: it calls every app's actions; none imports it), with
demo on top (it may import every app; none imports it). Every module of these
apps is read with `ast`, function-level imports included (they hide cycles as well as
top-level ones do); migrations are left out (Django writes them).
"""

import ast
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first: an app may import only the apps before it (and itself).
LAYERS = [
    "ccadmin",
    "partitions",
    "services",
    "contacts",
    "interactions",
    "api",
    "demo",
]

Graph = Mapping[str, Iterable[str]]


def module_name(path: Path) -> str:
    """`partitions/actions.py` -> `partitions.actions`; a package's __init__.py is
    the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    """Every module of the layered apps, by dotted name, migrations excluded."""
    modules = {}
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                modules[module_name(path)] = path
    return modules


def _typing_only(tree: ast.AST) -> set[int]:
    """The ids of the nodes under `if TYPE_CHECKING:`: read by type checkers only."""
    hidden = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                hidden.update(id(inner) for inner in ast.walk(statement))
    return hidden


def imported_names(
    tree: ast.AST, module: str, is_package: bool, *, runtime_only: bool = False
) -> set[str]:
    """Every dotted name the module imports, anywhere in it: `import a.b` gives a.b;
    `from a import b` gives a and a.b (b may be a module or a name in a).
    `runtime_only` leaves out the imports under `if TYPE_CHECKING:`."""
    package = module if is_package else module.rpartition(".")[0]
    skipped = _typing_only(tree) if runtime_only else set()
    names = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against this module's package
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@functools.cache
def import_graph(*, runtime_only: bool = False) -> dict[str, set[str]]:
    """Module -> the project modules it imports (the longest known prefix of each
    imported name, so `from partitions.models import X` is partitions.models).
    Read once per run: several tests ask for it."""
    modules = project_modules()
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = imported_names(
            tree, module, path.name == "__init__.py", runtime_only=runtime_only
        )
        targets = set()
        for name in names:
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    if candidate != module:
                        targets.add(candidate)
                    break
        graph[module] = targets
    return graph


def upward_imports(graph: Graph, layers: list[str]) -> list[tuple[str, str]]:
    """Each (importer, imported) pair where a lower app imports a higher one."""
    rank = {app: position for position, app in enumerate(layers)}
    return sorted(
        (importer, imported)
        for importer, targets in graph.items()
        for imported in targets
        if rank[imported.split(".")[0]] > rank[importer.split(".")[0]]
    )


def cycles(graph: Graph) -> list[list[str]]:
    """The import cycles: each group of modules that reach each other (a strongly
    connected component of more than one module, or a module importing itself),
    by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_every_layered_app_is_read():
    """The graph covers each app's modules, routing and seeding included (a test that
    read nothing would pass everything)."""
    graph = import_graph()
    for module in (
        "ccadmin.locks",
        "partitions.actions",
        "partitions.tasks",
        "services.models",
        "contacts.actions",
        "interactions.routing",
        "demo.management.commands.seed_demo",
    ):
        assert module in graph
    assert "contacts.actions" in graph["interactions.routing"]
    assert not any(".migrations" in module for module in graph)


def test_apps_import_only_downward():
    """ccadmin <- partitions <- services <- contacts <- interactions <- api <- demo.
    Imports for type hints count too: a lower app that names a higher one's types
    knows it."""
    assert upward_imports(import_graph(), LAYERS) == []


def test_no_module_imports_one_that_imports_it_back():
    """Imports that run, at the top or in a function. One under `if TYPE_CHECKING:`
    never runs, so it cannot close a cycle (it is how a module names, in a type hint,
    a class whose module imports it)."""
    assert cycles(import_graph(runtime_only=True)) == []


def test_no_module_imports_a_management_command():
    """A command's helpers live in a normal module (partitions.cli, ccadmin.cli): a
    command module is what `manage.py` runs, not a library."""
    commands = [
        (importer, imported)
        for importer, targets in import_graph().items()
        for imported in targets
        if ".management.commands." in imported
    ]
    assert commands == []


def test_function_level_imports_are_read_too():
    """An import inside a function is an import: it is how the partitions actions and
    tasks cycle used to hide."""
    tree = ast.parse(
        "def f():\n    from partitions import tasks\n    import services.models\n"
    )
    assert imported_names(tree, "partitions.actions", is_package=False) == {
        "partitions",
        "partitions.tasks",
        "services.models",
    }


def test_type_checking_imports_are_left_out_only_when_asked():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from contacts.models import Contact\n"
        "from ccadmin import text\n"
    )
    everything = imported_names(tree, "partitions.x", is_package=False)
    running = imported_names(tree, "partitions.x", is_package=False, runtime_only=True)
    assert "contacts.models" in everything
    assert "contacts.models" not in running
    assert "ccadmin.text" in running


def test_relative_imports_resolve_against_the_package():
    tree = ast.parse("from . import models\nfrom ..ccadmin import text\n")
    assert imported_names(tree, "partitions.admin", is_package=False) == {
        "partitions",
        "partitions.models",
        "ccadmin",
        "ccadmin.text",
    }


def test_partition_actions_have_no_function_level_imports():
    """Issue 19's "done when": partitions/actions.py imports everything at the top."""
    tree = ast.parse((ROOT / "partitions" / "actions.py").read_text(encoding="utf-8"))
    nested = [
        node.lineno
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert nested == []


def test_the_checks_report_an_upward_import_and_a_cycle():
    """Fed a small graph with one upward import and one cycle, the checks report
    exactly those: they can fail."""
    graph = {
        "ccadmin.locks": {"partitions.models"},  # upward
        "partitions.models": {"ccadmin.models"},
        "ccadmin.models": set(),
        "partitions.actions": {"partitions.tasks", "partitions.models"},
        "partitions.tasks": {"partitions.actions"},  # back: a cycle
        "services.models": {"partitions.models"},
    }
    assert upward_imports(graph, LAYERS) == [("ccadmin.locks", "partitions.models")]
    assert cycles(graph) == [["partitions.actions", "partitions.tasks"]]


def test_a_module_importing_itself_is_a_cycle():
    assert cycles({"contacts.views": {"contacts.views"}}) == [["contacts.views"]]
