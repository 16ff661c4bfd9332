"""The package's layers hold: no module imports a higher layer (lazy imports inside functions count too).

    core (settings, errors, records, ids, taskconfig, tenancy) ← catalog ← connectors / indexers ← flows
        ← orchestration ← services ← api / cli          client: only itself (httpx + pydantic)
"""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {  # package prefix → rank; a module may import only its own package or lower ranks
    "ingestflow.catalog": 1,
    "ingestflow.connectors": 2,
    "ingestflow.indexers": 2,
    "ingestflow.flows": 3,
    "ingestflow.orchestration": 4,
    "ingestflow.services": 5,
    "ingestflow.api": 6,
    "ingestflow.cli": 6,
}
CORE_RANK = 0
ENTRY_POINTS = {"ingestflow.__main__", "ingestflow.cli.__main__"}  # ``python -m``: they start the CLI
CLIENT = "ingestflow.client"
CLIENT_MAY_IMPORT = ("ingestflow.client", "ingestflow.connectors.registry")


def package_dirs() -> dict[str, Path]:
    """Import package → folder, as pyproject.toml maps them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {pkg: ROOT / folder for pkg, folder in config["tool"]["setuptools"]["package-dir"].items()}


def modules() -> dict[str, Path]:
    """Every module of the installed package, by dotted name."""
    found: dict[str, Path] = {}
    dirs = package_dirs()
    for pkg, folder in dirs.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            nested = any(other != pkg and other.startswith(pkg + ".") and name.startswith(other)
                         for other in dirs)  # a folder mapped to its own package is walked as that package
            if not nested and "migrations.versions" not in name:
                found[name] = path
    return found


def layer_of(module: str) -> tuple[str, int]:
    """(layer name, rank) of an ``ingestflow`` module."""
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, LAYERS[prefix]
    return "core", CORE_RANK


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ``ingestflow`` import in a file (``from ingestflow import x`` → ingestflow.x)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("ingestflow")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ingestflow":
                out += [(node.lineno, f"ingestflow.{a.name}") for a in node.names]
            elif node.module.startswith("ingestflow."):
                out.append((node.lineno, node.module))
    return out


def violations() -> list[str]:
    bad = []
    for name, path in sorted(modules().items()):
        if name in ENTRY_POINTS:
            continue
        layer, rank = layer_of(name)
        for line, target in imports(path):
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            where = f"{shown}:{line}: {name} imports {target}"
            if name.startswith(CLIENT + ".") or name == CLIENT:
                if not target.startswith(CLIENT_MAY_IMPORT):
                    bad.append(f"{where} (the client may import only itself)")
                continue
            if target.startswith(CLIENT):
                continue  # any layer may use the client
            target_layer, target_rank = layer_of(target)
            if target_rank > rank or (target_rank == rank and target_layer != layer and rank != CORE_RANK):
                bad.append(f"{where} ({layer} may not import {target_layer})")
    return bad


def test_every_module_is_in_a_layer() -> None:
    assert len(modules()) > 50
    assert {layer_of(m)[0] for m in modules()} >= {"core", *LAYERS}


def test_no_module_imports_a_higher_layer() -> None:
    assert violations() == []


@pytest.mark.parametrize(("lower", "higher"), [("ingestflow.errors", "ingestflow.catalog"),
                                               ("ingestflow.catalog.db", "ingestflow.flows.load"),
                                               ("ingestflow.connectors.s3", "ingestflow.api.main"),
                                               ("ingestflow.flows.load", "ingestflow.cli.main")])
def test_the_check_catches_an_upward_import(tmp_path, monkeypatch, lower, higher) -> None:
    """A planted upward import is reported (the check itself can fail)."""
    fake = tmp_path / "fake.py"
    fake.write_text(f"def f():\n    import {higher}\n", encoding="utf-8")
    real = modules()
    monkeypatch.setattr(sys.modules[__name__], "modules", lambda: {**real, lower: fake})
    assert any(f"{lower} imports {higher}" in v for v in violations())


def test_every_package_folder_is_listed_in_pyproject() -> None:
    """A subpackage missing from ``packages`` would be left out of the wheel."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert packages - listed == set()
