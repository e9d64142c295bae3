"""Request and response checks driven by botocore's Rekognition service model.

botocore only checks required members and minimums before sending; the service itself also enforces
maximum lengths, patterns, enums, ranges and list/map sizes. The emulator validates requests here so
that it rejects what the service rejects, and the conformance tests check every emulator response
against the operation's output shape so that it never answers what the service could not.

Both directions work on the awsJson1_1 wire form (the JSON-decoded body): timestamps are epoch
seconds, blobs are base64 text, and each problem is one message naming the member path and the limit.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import botocore.loaders  # type: ignore[import-untyped, unused-ignore]
import botocore.model  # type: ignore[import-untyped, unused-ignore]

SERVICE = "rekognition"
API_VERSION = "2016-06-27"

# Values nest only a few levels in this model; anything deeper is a cycle or an attack, not a request.
MAX_DEPTH = 64
_SHORT = 128  # longest value quoted in a message before it is cut (ARNs fit)

_INT_BITS = {"integer": 32, "long": 64}


# -- the model ----------------------------------------------------------------------------------------


@functools.cache
def service_model() -> botocore.model.ServiceModel:
    """The model botocore ships, parsed once: every lookup below shares it."""
    loader = botocore.loaders.Loader()
    raw = loader.load_service_model(SERVICE, "service-2", api_version=API_VERSION)
    return botocore.model.ServiceModel(raw, service_name=SERVICE)


def operation_model(operation: str) -> botocore.model.OperationModel:
    """The operation by its API name; KeyError for a name the service does not have."""
    model = service_model()
    if operation not in model.operation_names:
        raise KeyError(f"{SERVICE} has no operation {operation!r}")
    return model.operation_model(operation)


def modelled_errors(operation: str) -> frozenset[str]:
    """Error codes the operation may answer with, so the emulator never raises one the SDK cannot map."""
    return frozenset(shape.name for shape in operation_model(operation).error_shapes)


def validate_input(operation: str, params: Mapping[str, Any]) -> list[str]:
    """What the service would reject in this request body; unknown members are ignored, as it does."""
    walk = _Walk(output=False)
    walk.structure_root(operation_model(operation).input_shape, params)
    return walk.problems


def validate_output(operation: str, body: Mapping[str, Any]) -> list[str]:
    """Where this response body strays from the output shape, including members the model lacks."""
    walk = _Walk(output=True)
    walk.structure_root(operation_model(operation).output_shape, body)
    return walk.problems


# -- Java patterns ------------------------------------------------------------------------------------

# Java's `.` stops at every line terminator, not only at "\n" as Python's does.
_JAVA_DOT = r"[^\n\r\u0085\u2028\u2029]"
# Java's `$` (and `\Z`): the end of input, or just before one final line terminator ("\r\n" counts as one).
_JAVA_END = r"(?=(?:\r\n|(?<!\r)\n|[\r\u0085\u2028\u2029])?\Z)"
# Escapes Python would reject or, worse, read differently (`\v` is one character in Python, a class in
# Java; Java's `\b` is Unicode-aware; `\0` takes up to three octal digits in Java, two in Python).
# None occurs in the model; refuse rather than guess.
_UNSUPPORTED_ESCAPES = frozenset("bBvVhHRXeGQEckN0")
_GENERAL_CATEGORIES = {
    "L": ("Lu", "Ll", "Lt", "Lm", "Lo"),
    "LC": ("Lu", "Ll", "Lt"),
    "M": ("Mn", "Mc", "Me"),
    "N": ("Nd", "Nl", "No"),
    "P": ("Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po"),
    "S": ("Sm", "Sc", "Sk", "So"),
    "Z": ("Zs", "Zl", "Zp"),
    "C": ("Cc", "Cf", "Cs", "Co", "Cn"),
}


@functools.cache
def _category_ranges() -> dict[str, tuple[tuple[int, int], ...]]:
    """Code point ranges of each two-letter Unicode general category (one pass, about 0.3 s, once)."""
    ranges: dict[str, list[list[int]]] = {}
    for code in range(sys.maxunicode + 1):
        spans = ranges.setdefault(unicodedata.category(chr(code)), [])
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return {name: tuple((lo, hi) for lo, hi in spans) for name, spans in ranges.items()}


def _escape_code(code: int) -> str:
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


@functools.cache
def _property_class(name: str, negate: bool) -> str:
    """The body of a character class for Java's \\p{name} (\\P{name} when negate): explicit ranges,
    since Python's `re` has no Unicode properties."""
    category = name.removeprefix("Is")
    if category in _GENERAL_CATEGORIES:
        members = _GENERAL_CATEGORIES[category]
    elif len(category) == 2 and category[0] in _GENERAL_CATEGORIES:
        members = (category,)
    else:
        raise ValueError(f"unsupported Java property \\p{{{name}}}: only general categories are translated")
    table = _category_ranges()
    spans = sorted(span for member in members for span in table.get(member, ()))
    if negate:
        gaps, start = [], 0
        for lo, hi in spans:
            if lo > start:
                gaps.append((start, lo - 1))
            start = hi + 1
        if start <= sys.maxunicode:
            gaps.append((start, sys.maxunicode))
        spans = gaps
    return "".join(
        _escape_code(lo) if lo == hi else f"{_escape_code(lo)}-{_escape_code(hi)}" for lo, hi in spans
    )


def translate_pattern(pattern: str) -> str:
    """Rewrite a Java regular expression as Python `re` source with the same meaning (used with
    re.ASCII, which gives `\\d \\w \\s` Java's ASCII-only sense); ValueError for syntax not translated."""
    out: list[str] = []
    i, end = 0, len(pattern)
    in_class = False
    body_start = 0  # where the open class's members begin: a "]" there is a literal, in both engines
    while i < end:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= end:
                raise ValueError(f"pattern ends with a lone backslash: {pattern!r}")
            escape = pattern[i + 1]
            if escape in "pP":
                if pattern.startswith("{", i + 2):
                    close = pattern.find("}", i + 3)
                    if close < 0:
                        raise ValueError(f"unclosed \\{escape}{{ in {pattern!r}")
                    name, i = pattern[i + 3 : close], close + 1
                else:
                    name, i = pattern[i + 2 : i + 3], i + 3
                body = _property_class(name, escape == "P")
                out.append(body if in_class else f"[{body}]")
                continue
            if escape in _UNSUPPORTED_ESCAPES or (escape == "x" and pattern.startswith("{", i + 2)):
                raise ValueError(f"unsupported Java escape \\{escape} in {pattern!r}")
            if escape == "Z" and not in_class:
                out.append(_JAVA_END)
            elif escape == "z" and not in_class:
                out.append(r"\Z")
            else:
                out.append(pattern[i : i + 2])  # \uXXXX, \d, \. and the like mean the same in both
            i += 2
            continue
        if in_class:
            if char == "[" or pattern.startswith("&&", i):
                raise ValueError(f"Java class union/intersection is not translated: {pattern!r}")
            if char == "]" and i != body_start:
                in_class = False
            # "~" and "|" are literal in Java but may become set operators in Python: escape them.
            out.append("\\" + char if char in "~|" else char)
            i += 1
            continue
        if char == "[":
            in_class = True
            body_start = i + 2 if pattern.startswith("^", i + 1) else i + 1
            out.append(char)
        elif char == ".":
            out.append(_JAVA_DOT)
        elif char == "$":
            out.append(_JAVA_END)
        else:
            out.append(char)
        i += 1
    if in_class:
        raise ValueError(f"unclosed character class in {pattern!r}")
    return "".join(out)


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """The model's Java pattern compiled once; use with fullmatch, as the service uses String.matches."""
    return re.compile(translate_pattern(pattern), re.ASCII)


# -- the walk -----------------------------------------------------------------------------------------


def _short(value: object) -> str:
    """A value as a message quotes it: Python repr, cut when long so one message stays one line."""
    if isinstance(value, str) and len(value) > _SHORT:
        return f"{value[: _SHORT - 3]!r}... ({len(value)} characters)"
    return repr(value)


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value!r}"
    if isinstance(value, int | float):
        return f"number {value!r}"
    if isinstance(value, str):
        return f"string {_short(value)}"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Walk:
    """One validation pass; collects every problem rather than stopping at the first, as the service
    reports them all."""

    def __init__(self, *, output: bool) -> None:
        self.output = output
        self.problems: list[str] = []
        self._checks: dict[str, Callable[[Any, Any, str, int], None]] = {
            "structure": self._structure,
            "list": self._list,
            "map": self._map,
            "string": self._string,
            "integer": self._integer,
            "long": self._integer,
            "float": self._float,
            "double": self._float,
            "boolean": self._boolean,
            "timestamp": self._timestamp,
            "blob": self._blob,
        }

    def fail(self, path: str, detail: str) -> None:
        self.problems.append(f"{path or '(body)'}: {detail}")

    def structure_root(self, shape: Any, value: Any) -> None:
        if shape is None:  # no shape in the model: the body can only be an empty object
            if not isinstance(value, Mapping):
                self.fail("", f"expected an object, got {_json_kind(value)}")
            elif self.output:
                for key in value:
                    self.fail(str(key), "unknown member")
            return
        self.value(shape, value, "", 0)

    def value(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if depth > MAX_DEPTH:
            self.fail(path, f"nested deeper than {MAX_DEPTH} levels; not checked further")
            return
        check = self._checks.get(shape.type_name)
        if check is None:
            self.fail(path, f"shape {shape.name} has type {shape.type_name}, which is not validated")
            return
        check(shape, value, path, depth)

    def _sized(self, path: str, size: int, metadata: Mapping[str, Any], *, noun: str | None = None) -> None:
        """Length (noun None) or count limits: "length 256 is greater than ...", "201 entries is more ..."."""
        described = f"{size} {noun}" if noun else f"length {size}"
        fewer, more = ("fewer", "more") if noun else ("less", "greater")
        if "min" in metadata and size < metadata["min"]:
            self.fail(path, f"{described} is {fewer} than the minimum {metadata['min']}")
        if "max" in metadata and size > metadata["max"]:
            self.fail(path, f"{described} is {more} than the maximum {metadata['max']}")

    def _ranged(self, path: str, value: float, metadata: Mapping[str, Any]) -> None:
        if "min" in metadata and value < metadata["min"]:
            self.fail(path, f"{value!r} is less than the minimum {metadata['min']}")
        if "max" in metadata and value > metadata["max"]:
            self.fail(path, f"{value!r} is greater than the maximum {metadata['max']}")

    def _structure(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {_json_kind(value)}")
            return
        prefix = f"{path}." if path else ""
        wire_names: dict[str, str] = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            wire_names[name] = wire
            if wire not in value:
                continue
            if value[wire] is None:
                if self.output:  # the service omits absent members; a null is our own invention
                    self.fail(prefix + wire, "null is not a value; omit the member instead")
                continue  # a request's null counts as absent
            self.value(member, value[wire], prefix + wire, depth + 1)
        for name in shape.required_members:
            wire = wire_names.get(name, name)
            if wire not in value or (value[wire] is None and not self.output):
                self.fail(prefix + wire, "required member is missing")
        if self.output:
            known = set(wire_names.values())
            for key in value:
                if key not in known:
                    self.fail(prefix + str(key), "unknown member")

    def _list(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, list | tuple):
            self.fail(path, f"expected an array, got {_json_kind(value)}")
            return
        self._sized(path, len(value), shape.metadata, noun="item" if len(value) == 1 else "items")
        for index, item in enumerate(value):
            self.value(shape.member, item, f"{path}[{index}]", depth + 1)

    def _map(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {_json_kind(value)}")
            return
        self._sized(path, len(value), shape.metadata, noun="entry" if len(value) == 1 else "entries")
        for key, item in value.items():
            self.value(shape.key, key, f"{path} key {_short(key)}", depth + 1)
            self.value(shape.value, item, f"{path}[{_short(key)}]", depth + 1)

    def _string(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {_json_kind(value)}")
            return
        # Length in code points, which is how Smithy's length trait counts a string.
        self._sized(path, len(value), shape.metadata)
        if shape.enum and value not in shape.enum:
            self.fail(path, f"{_short(value)} is not one of {', '.join(shape.enum)}")
        pattern = shape.metadata.get("pattern")
        if pattern is not None and compile_pattern(pattern).fullmatch(value) is None:
            self.fail(path, f"{_short(value)} does not match the pattern {pattern}")

    def _integer(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, f"expected an integer, got {_json_kind(value)}")
            return
        bits = _INT_BITS[shape.type_name]
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            self.fail(path, f"{value} does not fit in a {bits}-bit {shape.type_name}")
            return
        self._ranged(path, value, shape.metadata)

    def _float(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            self.fail(path, f"expected a finite number, got {_json_kind(value)}")
            return
        self._ranged(path, value, shape.metadata)

    def _boolean(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, bool):
            self.fail(path, f"expected a boolean, got {_json_kind(value)}")

    def _timestamp(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            self.fail(path, f"expected a timestamp in epoch seconds (a number), got {_json_kind(value)}")

    def _blob(self, shape: Any, value: Any, path: str, depth: int) -> None:
        if not isinstance(value, str):
            self.fail(path, f"expected base64 text, got {_json_kind(value)}")
            return
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            self.fail(path, f"{_short(value)} is not valid base64")
            return
        self._sized(
            path, len(decoded), shape.metadata, noun="decoded bytes" if len(decoded) != 1 else "decoded byte"
        )
