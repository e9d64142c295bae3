"""The API reference (``make docs``: ``docs/api_reference.py`` runs pdoc on the docstrings, into
``docs/api/``) and the docstrings it is made of: every public symbol of the library has one.

Public here means what PEP 8 calls public: every module of ``rekognition_custom_labels`` whose name has
no leading underscore (not the ``_handler`` data package: the provider's Lambda code, not API), and in
each the classes and functions it defines whose names have none, with the methods, properties, static
and class methods those classes define themselves (``__init__`` may leave its parameters to the class
docstring). Added to those: whatever the reference publishes (pdoc's model of the pages ``make docs``
renders, which follows the package's ``__all__``), so a name exported from a private module is held to
the same rule. A docstring must be the symbol's own: one inherited from a base class (``Resource``'s,
say) or the one ``dataclasses`` writes does not count.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import inspect
import pkgutil
import re
import types
from collections.abc import Iterator
from pathlib import Path

import pdoc.doc
import pdoc.docstrings
import pdoc.extract
import pytest

import rekognition_custom_labels
from tests.repository import ROOT


def load_api_reference() -> types.ModuleType:
    """``docs/api_reference.py``, what ``make docs`` runs (a script, not a package's module)."""
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "docs" / "api_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api_reference = load_api_reference()
PACKAGE = rekognition_custom_labels.__name__


def public_modules(package: types.ModuleType = rekognition_custom_labels) -> Iterator[types.ModuleType]:
    """The package and its modules and subpackages, depth first, without those named ``_...`` (never
    imported: ``_handler`` is the provider's Lambda code)."""
    yield package
    for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}."):
        if info.name.rpartition(".")[2].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            yield from public_modules(module)
        else:
            yield module


def published_modules() -> Iterator[types.ModuleType]:
    """The modules the reference has a page for: pdoc's reading of the reference's specification."""
    for name in pdoc.extract.walk_specs(api_reference.SPECS):
        yield importlib.import_module(name)


def own_docstring(obj: object) -> str:
    """The docstring ``obj`` itself has (not inspect.getdoc's, which falls back to a base class's)."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def class_docstring(module: str, cls: type) -> str:
    """The class's own docstring, read as pdoc reads it: the ones ``dataclasses``, ``Enum`` and ``dict``
    write for a class without one are no docstring."""
    if not own_docstring(cls):
        return ""
    return pdoc.doc.Class(module, cls.__qualname__, cls, (module, cls.__qualname__)).docstring


def is_member(obj: object) -> bool:
    """A method, property, static or class method, or nested class, as a class's namespace holds it."""
    return inspect.isclass(obj) or isinstance(
        obj,
        types.FunctionType | staticmethod | classmethod | property | functools.cached_property,
    )


def class_symbols(module: str, cls: type) -> Iterator[tuple[str, str]]:
    """``(qualified name, docstring)`` of ``cls`` and of the public members it defines itself."""
    yield f"{module}.{cls.__qualname__}", class_docstring(module, cls)
    for name, member in vars(cls).items():
        if name.startswith("_") or not is_member(member):
            continue
        if inspect.isclass(member):
            yield from class_symbols(module, member)
        else:
            yield f"{module}.{cls.__qualname__}.{name}", own_docstring(member)


def module_symbols(module: types.ModuleType, names: list[str]) -> Iterator[tuple[str, str]]:
    """``(qualified name, docstring)`` of the module and of its classes and functions named in ``names``,
    each under the module that defines it (a re-exported class is the same symbol in both)."""
    yield module.__name__, own_docstring(module)
    for name in names:
        obj = getattr(module, name, None)
        if inspect.isclass(obj):
            yield from class_symbols(obj.__module__, obj)
        elif inspect.isfunction(obj):
            yield f"{obj.__module__}.{obj.__qualname__}", own_docstring(obj)


def defined_here(module: types.ModuleType) -> list[str]:
    """The public names of the classes and functions ``module`` defines (not those it imports)."""
    return [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(obj) or inspect.isfunction(obj))
        and obj.__module__ == module.__name__
    ]


def published_here(module: types.ModuleType) -> list[str]:
    """The names pdoc documents on the module's page: its ``__all__``, else what it defines, public."""
    members = pdoc.doc.Module(module).members
    return [name for name in members if not name.startswith("_") or name in getattr(module, "__all__", ())]


def public_symbols() -> dict[str, str]:
    """Every public symbol (see the module docstring) and its docstring ("" for none)."""
    symbols: dict[str, str] = {}
    for module in public_modules():
        symbols.update(module_symbols(module, defined_here(module)))
    for module in published_modules():
        symbols.update(module_symbols(module, published_here(module)))
    return symbols


def test_every_public_symbol_has_a_docstring() -> None:
    # GIVEN every public module, class, function, method and property of the library
    symbols = public_symbols()
    exported = [getattr(rekognition_custom_labels, name) for name in rekognition_custom_labels.__all__]
    exported_names = {f"{obj.__module__}.{obj.__qualname__}" for obj in exported if inspect.isclass(obj)}
    assert exported_names and exported_names <= symbols.keys(), "the walk missed exported classes"
    assert not any("._handler" in name for name in symbols), "the Lambda code is not API"

    # THEN each has a docstring of its own
    missing = sorted(name for name, doc in symbols.items() if not doc.strip())
    assert not missing, (
        f"{len(missing)} public symbol(s) without a docstring (write one, or rename the symbol with a "
        "leading underscore if it is not API):\n  " + "\n  ".join(missing)
    )


def test_the_walk_sees_a_missing_docstring() -> None:
    # GIVEN a module of classes and functions, some documented, some not, and some private or imported
    module = types.ModuleType("example", "An example module.")

    @dataclasses.dataclass
    class Plain:
        value: int

        def render(self) -> int:
            return self.value

        @property
        def doubled(self) -> int:
            """Twice the value."""
            return 2 * self.value

        @staticmethod
        def make() -> Plain:
            return Plain(1)

        def _private(self) -> None:
            pass

    class Documented(Plain):
        """A subclass with a docstring, inheriting undocumented members it need not document again."""

        def render(self) -> int:
            """The value, rendered."""
            return self.value

    def function() -> None:
        pass

    for obj in (Plain, Documented, function):
        obj.__module__ = "example"
        obj.__qualname__ = obj.__name__
        setattr(module, obj.__name__, obj)
    vars(module)["Path"] = Path  # imported, not defined here

    # WHEN its symbols are listed
    symbols = dict(module_symbols(module, defined_here(module)))

    # THEN the undocumented ones have no docstring: the dataclass's generated one does not count
    assert sorted(name for name, doc in symbols.items() if not doc) == [
        "example.Plain",
        "example.Plain.make",
        "example.Plain.render",
        "example.function",
    ]
    # AND the documented ones have theirs, the private and imported ones are not listed
    assert symbols["example"] == "An example module."
    assert symbols["example.Plain.doubled"] == "Twice the value."
    assert symbols["example.Documented.render"] == "The value, rendered."
    assert "example.Plain._private" not in symbols
    assert "example.Path" not in symbols


def test_a_parameter_is_named_up_to_the_first_colon_of_its_field() -> None:
    # GIVEN pdoc set up as the reference sets it up, and a field whose text has colons of its own
    api_reference.configure()
    docstring = ":param output_bucket: where training writes. Default: a new bucket (see: below).\n"

    # WHEN pdoc reads it
    markdown = pdoc.docstrings.convert(docstring, api_reference.DOCFORMAT, None)

    # THEN the parameter is named output_bucket, and its text keeps its colons
    assert "**output_bucket**:  where training writes. Default: a new bucket (see: below)." in markdown


@pytest.mark.slow
def test_the_reference_documents_the_exported_classes(tmp_path: Path) -> None:
    # WHEN the reference is rendered as make docs renders it
    page = api_reference.build(tmp_path).read_text()

    # THEN the package's page documents every exported class, and the Lambda code has no page
    for name in rekognition_custom_labels.__all__:
        assert f'<section id="{name}">' in page, f"{name} is not in the reference"
    assert not [path.name for path in tmp_path.rglob("*_handler*")]
    # AND the ``:param x:`` fields are lists of parameters, each named by its name alone
    lists = re.findall(r'<h6 id="parameters">Parameters</h6>\s*<ul>(.*?)</ul>', page, re.S)
    names = [name for items in lists for name in re.findall(r"<li><strong>(.*?)</strong>:", items)]
    assert names, "no parameter list was rendered"
    assert [name for name in names if not re.fullmatch(r"\w+", name)] == []
