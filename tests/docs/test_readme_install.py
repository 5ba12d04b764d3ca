"""README's Install section names the Python requirement and every extra with what it adds."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _install_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme[readme.index("## Install\n") : readme.index("## Set up\n")]


def test_every_extra_is_in_the_table_with_its_packages() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z]+)` \|.*$", _install_section(), re.M)}
    assert sorted(rows) == sorted(project["optional-dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        packages = [re.split(r"[<>=\[ ;]", r, maxsplit=1)[0] for r in requirements]
        shown = packages if extra != "test" else packages[:3]  # the test row names its first few
        assert all(p in rows[extra] for p in shown), (extra, packages, rows[extra])


def test_the_python_requirement_and_the_base_dependencies_are_named() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    section = _install_section()
    assert f"Python {project['requires-python'].removeprefix('>=')} or newer" in section
    assert f"`{project['name']}`" in section
    for requirement in project["dependencies"]:
        assert re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0] in section
