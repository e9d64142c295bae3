"""The local cloud's rooms: each package imports only from the packages below it, never from one above.

Read bottom-up, a newcomer meets each concept before anything that uses it: the clock, IAM's policy
evaluation, the emulator, the one endpoint, the deploy engine, the saved state, CloudFormation's API, the
samples, the commands, and what tests import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import localcloud

PACKAGE = Path(localcloud.__file__).resolve().parent
ROOMS = (
    "clock",
    "iam",
    "rekognition",
    "gateway",
    "deploy",
    "state",
    "cloudformation",
    "samples",
    "cli",
    "testing",
)
ENTRY = ("__init__", "__main__")  # the package itself and ``python -m localcloud``: above every room


def room_of(module: Path) -> str:
    first = module.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def imported_rooms(module: Path) -> set[str]:
    """The rooms ``module`` imports from (relative imports resolved; TYPE_CHECKING ones count too)."""
    package = list(module.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    rooms = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
            target = [*base, *(node.module.split(".") if node.module else [])]
        elif node.module and node.module.split(".")[0] == "localcloud":
            target = node.module.split(".")
        else:
            continue
        names = [target[1]] if len(target) > 1 else [alias.name for alias in node.names]
        rooms.update(names)
    return rooms


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if room_of(p) not in ENTRY)


def test_the_top_level_holds_the_rooms_and_nothing_else() -> None:
    top = {
        p.name.removesuffix(".py")
        for p in PACKAGE.iterdir()
        if p.suffix == ".py" or (p / "__init__.py").is_file()
    }
    assert top == {*ROOMS, *ENTRY}


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_room_and_those_below(module: Path) -> None:
    here = ROOMS.index(room_of(module))
    above = sorted(room for room in imported_rooms(module) if ROOMS.index(room) > here)
    assert above == [], f"{module.relative_to(PACKAGE)} imports from {above}, above {ROOMS[here]}"


@pytest.mark.parametrize("room", [r for r in ROOMS if (PACKAGE / r).is_dir()])
def test_each_room_says_what_it_is_for(room: str) -> None:
    docstring = ast.get_docstring(ast.parse((PACKAGE / room / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 8, f"localcloud/{room}/__init__.py has no docstring"
