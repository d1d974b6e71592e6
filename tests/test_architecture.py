"""The layering rules of the README's Architecture part, checked on the source itself: the
layers import one way, no import cycle, the domain never imports the views, one module writes
the activity log, and no module grows past what a reader can hold."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("postmortems", "accounts", "config")
MAX_LINES = 500


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str) -> set[str]:
    """The project's modules this one imports, at module level or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in MODULES else base for t in targets]
        else:
            continue
        found |= {t for target in targets if (t := _resolve(target)) and t != name}
    return found


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
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

    for v in GRAPH:
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    # Known edges, so that an empty graph cannot pass the rules below.
    assert "postmortems.activity" in GRAPH["postmortems.workflow.transitions"]
    assert "postmortems.workflow" in GRAPH["postmortems.views.review"]
    assert len(MODULES) > 60


# The README's layers, first to last: a module imports only from its own layer or earlier
# ones. (A prefix names a package or module; the longest one that matches decides.)
LAYERS = [
    # Building blocks that know no document.
    (
        "accounts",
        "postmortems.values",
        "postmortems.merge",
        "postmortems.fields",
        "postmortems.markdown",
        "postmortems.markdown_engine",
        "postmortems.metrics",
        "postmortems.charts",
        "postmortems.notifications",
        "postmortems.forms.base",
        "postmortems.exchange.markup",
        "postmortems.exchange.blocks",
        "postmortems.uploads",
        "postmortems.pdf_engine",
        "postmortems.blameless",
        "postmortems.blameless_rules",
    ),
    # The document: the registry of sections, and the models.
    ("postmortems.sections", "postmortems.models"),
    # Reading it: who may do what, the signed content, what a page and an export show.
    (
        "postmortems.permissions",
        "postmortems.content",
        "postmortems.keys",
        "postmortems.insights",
        "postmortems.sanity",
        "postmortems.presentation",
        "postmortems.review_notes",
        "postmortems.activity_feed",
        "postmortems.wording",
        "postmortems.section_review",
        "postmortems.exchange.export",
        "postmortems.invites",
        "postmortems.waiting",
    ),
    # Changing it: every change is a function here, and logs itself.
    (
        "postmortems.workflow",
        "postmortems.editing",
        "postmortems.activity",
        "postmortems.history",
        "postmortems.restore",
        "postmortems.attachments",
        "postmortems.wording_marks",
    ),
    # Around it.
    (
        "postmortems.exchange",
        "postmortems.exchange.pdf",
        "postmortems.search",
        "postmortems.filters",
        "postmortems.reminders",
        "postmortems.demo",
        "postmortems.management",
        "postmortems.templatetags",
        "postmortems.admin",
        "postmortems.apps",
    ),
    # The web.
    ("postmortems.forms", "postmortems.views", "postmortems.urls", "postmortems", "config"),
]


def layer_of(name: str) -> int:
    matches = [
        (len(prefix), index)
        for index, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    ]
    assert matches, f"{name} is in no layer: add it to LAYERS (and to the README)"
    return max(matches)[1]


def test_imports_go_one_way_through_the_layers():
    upward = [
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if layer_of(target) > layer_of(name)
    ]
    assert upward == []


def test_the_layer_check_sees_an_upward_import(monkeypatch):
    monkeypatch.setitem(GRAPH, "postmortems.values", {"postmortems.views.documents"})
    with pytest.raises(AssertionError, match="postmortems.values imports"):
        test_imports_go_one_way_through_the_layers()


def test_there_is_no_import_cycle():
    assert cycles() == []


def test_the_cycle_check_sees_a_cycle(monkeypatch):
    monkeypatch.setitem(GRAPH, "postmortems.activity", {*GRAPH["postmortems.activity"]})
    GRAPH["postmortems.activity"].add("postmortems.workflow.transitions")
    assert any("postmortems.activity" in c for c in cycles())


def test_nothing_outside_the_views_imports_them():
    outside = {
        name
        for name, targets in GRAPH.items()
        if not name.startswith("postmortems.views")
        and any(t.startswith("postmortems.views") for t in targets)
    }
    assert outside <= {"postmortems.urls", "config.urls"}  # the URL maps route to them


def test_one_module_writes_the_activity_log():
    writers = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            creates = (  # Activity(...) or Activity.objects.create / bulk_create(...)
                isinstance(func, ast.Name)
                and func.id == "Activity"
                or isinstance(func, ast.Attribute)
                and func.attr in ("create", "bulk_create", "get_or_create", "update_or_create")
                and isinstance(func.value, ast.Attribute)
                and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "Activity"
            )
            if creates:
                writers.add(name)
    assert writers == {"postmortems.activity"}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_longer_than_a_reader_can_hold(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by what its parts do"
