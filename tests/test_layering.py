"""The layers stay layers: each package imports only what its docstring allows."""

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

#: For each layer, the prefixes of ``sim`` modules it must not import at run time.
FORBIDDEN = {
    "model": ("sim.sweeps", "sim.analysis", "sim.interventions", "sim.simulate", "sim.interop"),
    "interventions": ("sim.sweeps", "sim.analysis", "sim.simulate", "sim.interop"),
    "analysis": ("sim.sweeps.hydra_app",),
    "sweeps": ("sim.interop",),
    "interop": ("sim.sweeps", "sim.analysis"),
}


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """Modules a file imports, leaving out those under ``if TYPE_CHECKING:``."""
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


def violations(layer: str) -> list[str]:
    bad = []
    for path in sorted((SIM / layer).rglob("*.py")):
        for line, module in runtime_imports(path):
            if any(module == p or module.startswith(p + ".") for p in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(SIM.parent)}:{line} imports {module}")
    return bad


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(layer):
    assert (SIM / layer / "__init__.py").exists(), f"sim/{layer}/ is a package"
    assert violations(layer) == []


def test_the_check_sees_a_forbidden_import(tmp_path):
    # A file that imports the sweeps at run time and the interventions only for type checking.
    f = tmp_path / "bad.py"
    f.write_text(
        "from typing import TYPE_CHECKING\n"
        "from sim.sweeps import store\n"
        "if TYPE_CHECKING:\n    from sim.interventions.base import Intervention\n"
        "def f():\n    import sim.analysis.report\n"
    )
    modules = {m for _, m in runtime_imports(f)}
    assert "sim.sweeps.store" in modules and "sim.analysis.report" in modules
    assert not any(m.startswith("sim.interventions") for m in modules)
