"""The layers stay layers: each package imports only what its docstring allows, and nothing circles."""

import ast
from pathlib import Path

import networkx as nx
import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: For each package, the prefixes of ``sim`` modules it must not import at run time.
FORBIDDEN = {
    "config": ("sim.",),
    "model": (
        "sim.sweeps",
        "sim.stats",
        "sim.report",
        "sim.calibration",
        "sim.optimise",
        "sim.cli",
        "sim.interventions",
        "sim.simulate",
        "sim.interop",
    ),
    "interventions": (
        "sim.sweeps",
        "sim.stats",
        "sim.report",
        "sim.calibration",
        "sim.optimise",
        "sim.cli",
        "sim.simulate",
        "sim.interop",
    ),
    "stats": ("sim.",),
    "calibration": ("sim.sweeps", "sim.report", "sim.optimise", "sim.cli", "sim.interop"),
    "sweeps": ("sim.stats", "sim.report", "sim.optimise", "sim.cli", "sim.interop"),
    "report": ("sim.optimise", "sim.cli", "sim.interop"),
    "optimise": ("sim.cli", "sim.interop"),
    "interop": ("sim.sweeps", "sim.stats", "sim.report", "sim.calibration", "sim.optimise", "sim.cli"),
    "cli": ("sim.interop",),
    "conf": ("sim.",),  # the YAML presets; no code
}

#: What a package may import of itself (``config`` and ``stats`` import nothing else of ``sim``).
OWN = {"config": "sim.config", "stats": "sim.stats"}


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """Modules a file imports (at the top or inside a function), leaving out ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def module_of(path: Path) -> str:
    parts = list(path.relative_to(SIM.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sim_modules() -> dict[str, Path]:
    return {module_of(p): p for p in SIM.rglob("*.py")}


def violations(layer: str) -> list[str]:
    bad = []
    own = OWN.get(layer)
    for path in sorted((SIM / layer).rglob("*.py")):
        for line, module in runtime_imports(path):
            if own and (module == own or module.startswith(own + ".")):
                continue
            if any(
                module == p.rstrip(".") or module.startswith(p if p.endswith(".") else p + ".")
                for p in FORBIDDEN[layer]
            ):
                bad.append(f"{path.relative_to(SIM.parent)}:{line} imports {module}")
    return bad


def import_graph() -> nx.DiGraph:
    """Modules of ``sim`` and the modules of ``sim`` each imports at run time (type-only imports aside)."""
    modules = sim_modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        for _, imported in runtime_imports(path):
            # ``from sim.x import y`` names module sim.x.y when y is a module, else sim.x.
            target = imported if imported in modules else imported.rpartition(".")[0]
            if target in modules and target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    return graph


def package_of(module: str) -> str:
    """``sim.report.sentences`` -> ``sim.report``; top-level modules (``sim.config`` ...) stand alone."""
    parts = module.split(".")
    return ".".join(parts[:2])


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer):
    assert (SIM / layer / "__init__.py").exists(), f"sim/{layer}/ is a package"
    assert violations(layer) == []


def test_every_package_is_layered_and_documented():
    packages = {p.parent.name for p in SIM.glob("*/__init__.py")}
    assert packages == set(FORBIDDEN), "a new package needs its line in FORBIDDEN"
    for name in packages:
        doc = ast.get_docstring(ast.parse((SIM / name / "__init__.py").read_text()))
        assert doc and "import" in doc, f"sim/{name}/__init__.py says what it may import"


def test_no_module_imports_in_a_circle():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == []


def test_no_package_imports_in_a_circle():
    graph = nx.DiGraph()
    for a, b in import_graph().edges:
        pa, pb = package_of(a), package_of(b)
        if pa != pb and pa != "sim" and pb != "sim":  # sim/__init__.py is the public face, above all
            graph.add_edge(pa, pb)
    assert list(nx.simple_cycles(graph)) == []


def test_the_checks_see_a_forbidden_import_and_a_circle(tmp_path):
    # A file that imports the sweeps at run time and the interventions only for type checking.
    f = tmp_path / "bad.py"
    f.write_text(
        "from typing import TYPE_CHECKING\n"
        "from sim.sweeps import store\n"
        "if TYPE_CHECKING:\n    from sim.interventions.base import Intervention\n"
        "def f():\n    import sim.report.write\n"
    )
    modules = {m for _, m in runtime_imports(f)}
    assert "sim.sweeps.store" in modules and "sim.report.write" in modules
    assert not any(m.startswith("sim.interventions") for m in modules)
    graph = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    assert list(nx.simple_cycles(graph))


def test_no_module_over_a_thousand_lines():
    long = {module_of(p): n for p in SIM.rglob("*.py") if (n := len(p.read_text().splitlines())) > 1000}
    assert long == {}
