"""The private crhelper surface ``hardened_resource`` relies on, pinned to crhelper 2.0.12.

``HardenedResource`` does not call ``CfnResource.__init__`` (it would create three boto3 clients at
import) and overrides crhelper's private methods, which crhelper's own ``__call__`` then calls. A crhelper
release that adds an attribute to ``__init__``, or renames or re-signs one of those methods, would break
the handler at run time only; these tests break first.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import crhelper.resource_helper
import hardened_resource
import pytest
from crhelper import CfnResource
from hardened_resource import HardenedResource

# crhelper's stubs describe its public API only; the internals checked here are untyped.
CRHELPER: Any = CfnResource
# crhelper's methods HardenedResource overrides (crhelper's __call__ and each other call them).
OVERRIDDEN = frozenset(
    {
        "__call__",
        "create",
        "update",
        "delete",
        "poll_create",
        "poll_update",
        "poll_delete",
        "_crhelper_init",
        "_polling_init",
        "_put_rule",
        "_add_permission",
        "_remove_polling",
        "_timeout",
        "_wait_for_cwlogs",
        "_cfn_response",
        "_send",
    }
)
# Set by crhelper's __init__ and deliberately not by HardenedResource's: crhelper never reads it again.
NOT_NEEDED = frozenset({"_logs_client"})


def init_assignments(cls: type) -> set[str]:
    """The ``self.X`` names ``cls.__init__`` assigns, anywhere in its body (branches included)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls.__init__)))  # type: ignore[misc]
    names: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and _is_self(part.value):
                    names.add(part.attr)
    return names


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _is_super(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "super"


@pytest.fixture
def crhelper_instance(monkeypatch: pytest.MonkeyPatch) -> CfnResource:
    """A real ``CfnResource``, its three boto3 clients and its logging set-up stubbed out."""
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    monkeypatch.setattr("crhelper.resource_helper.boto3.client", lambda *args, **kwargs: object())
    monkeypatch.setattr(crhelper.resource_helper.log_helper, "setup", lambda *args, **kwargs: None)
    return CfnResource()


def test_the_source_reading_finds_every_attribute_crhelper_sets(crhelper_instance: CfnResource) -> None:
    # GIVEN the crhelper the handler pins (requirements.txt), and what a real CfnResource holds after
    # __init__ (not in SAM local: its clients made)
    assert importlib.metadata.version("crhelper") == "2.0.12"
    # THEN reading __init__'s source finds the same names (the check below does not miss any)
    assert init_assignments(CfnResource) == set(vars(crhelper_instance))


def test_hardened_resource_sets_every_attribute_crhelpers_init_sets() -> None:
    # GIVEN a HardenedResource (its __init__ does not call crhelper's)
    resource = HardenedResource(rule_prefix="RekCL-poll-")
    # THEN every attribute crhelper's __init__ sets is there: set by its __init__, or a property (the
    # AWS clients, made on first use)
    properties = {name for name, value in vars(HardenedResource).items() if isinstance(value, property)}
    missing = init_assignments(CfnResource) - NOT_NEEDED - set(vars(resource)) - properties
    assert missing == set()
    # AND the attributes it leaves out are never read by crhelper outside its __init__
    source = inspect.getsource(crhelper.resource_helper)
    init_source = inspect.getsource(CfnResource.__init__)
    for name in NOT_NEEDED:
        assert source.count(f"self.{name}") == init_source.count(f"self.{name}") == 1


def test_hardened_resource_overrides_crhelpers_methods_with_their_signatures() -> None:
    # GIVEN the functions HardenedResource defines that crhelper's CfnResource also has
    own = {
        name
        for name, value in vars(HardenedResource).items()
        if inspect.isfunction(value) and name != "__init__"
    }
    # THEN they are exactly the overrides pinned here (none is lost to a renamed crhelper method)
    assert own & set(dir(CfnResource)) == OVERRIDDEN
    # AND each keeps crhelper's parameters: the same names, kinds, and defaults present or not
    for name in sorted(OVERRIDDEN):
        assert shape(getattr(HardenedResource, name)) == shape(getattr(CfnResource, name)), name


def test_the_crhelper_internals_it_calls_exist() -> None:
    # GIVEN every ``self.X`` and ``super().X`` that hardened_resource reads
    tree = ast.parse(inspect.getsource(hardened_resource))
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and (_is_self(node.value) or (isinstance(node.value, ast.Call) and _is_super(node.value.func)))
    }
    # THEN each is HardenedResource's own or crhelper's (a method, or an attribute its methods set)
    # (``RequestType`` is set by crhelper's ``_crhelper_init``)
    own = set(dir(HardenedResource)) | set(vars(HardenedResource(rule_prefix="RekCL-poll-")))
    crhelpers = set(dir(CfnResource)) | init_assignments(CfnResource) | {"RequestType"}
    unknown = used - own - crhelpers
    assert unknown == set()
    # AND the crhelper methods it calls without overriding them take what it passes
    assert shape(CRHELPER._put_targets) == [
        ("self", "POSITIONAL_OR_KEYWORD", False),
        ("func_name", "POSITIONAL_OR_KEYWORD", False),
    ]
    for name in ("_remove_targets", "_delete_rule"):
        assert shape(getattr(CfnResource, name)) == [
            ("self", "POSITIONAL_OR_KEYWORD", False),
            ("rule_arn", "POSITIONAL_OR_KEYWORD", False),
        ]
    assert shape(CRHELPER._remove_permission) == [
        ("self", "POSITIONAL_OR_KEYWORD", False),
        ("sid", "POSITIONAL_OR_KEYWORD", False),
    ]


def shape(function: Any) -> list[tuple[str, str, bool]]:
    """(name, kind, has a default) of each parameter: what a caller relies on."""
    return [
        (p.name, p.kind.name, p.default is not inspect.Parameter.empty)
        for p in inspect.signature(function).parameters.values()
    ]


def test_the_polling_event_keys_the_handler_reads_are_the_ones_crhelper_writes() -> None:
    # GIVEN every crhelper polling-event key the handler's modules name
    handler = Path(hardened_resource.__file__).parent
    used = {
        key for source in handler.glob("*.py") for key in re.findall(r"CrHelper[A-Za-z]+", source.read_text())
    }
    # THEN crhelper's _setup_polling still writes each of them into the event its rule carries
    setup_polling = inspect.getsource(CRHELPER._setup_polling)
    assert used, "the handler reads crhelper's polling keys"
    for key in sorted(used):
        assert f"self._event['{key}'] =" in setup_polling, f"crhelper no longer writes {key}"
