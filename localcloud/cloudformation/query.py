"""CloudFormation's query protocol, both ways, driven by botocore's service model.

Requests are form-encoded (``Parameters.member.1.ParameterKey=...``) and responses are XML; walking the
operation's input and output shapes handles every operation alike, so the CDK CLI and boto3 read our
answers exactly as they read AWS's. Parsing is the inverse of botocore's ``QuerySerializer`` and writing
is what botocore's ``QueryParser`` (and the AWS SDK for JavaScript) reads, including ``locationName``
and ``flattened`` lists and maps, which CloudFormation's model does not use today.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import botocore.model  # type: ignore[import-untyped, unused-ignore]

XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

# XML parsers turn "\r\n" and lone "\r" into "\n"; a character reference keeps a template's line endings.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class QueryError(Exception):
    """An error answered as the query protocol's ``ErrorResponse``, with the HTTP status it goes out with."""

    def __init__(self, code: str, message: str, *, status: int = 400, sender: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender = sender


def modelled_error(service: botocore.model.ServiceModel, name: str, message: str) -> QueryError:
    """The modelled error by its shape name, with the code and status the model puts on the wire.

    SDKs map the wire code back to the exception (``ChangeSetNotFoundException`` goes out as
    ``ChangeSetNotFound`` with 404), so the shape name alone would reach boto3 as an unmodelled error.
    """
    shape = service.shape_for(name)
    if not shape.metadata.get("exception"):
        raise KeyError(f"{name} is not an error of {service.service_name}")
    error = shape.metadata.get("error", {})
    return QueryError(
        error.get("code", name),
        message,
        status=error.get("httpStatusCode", 400),
        sender=error.get("senderFault", True),
    )


def parse_request(form: Mapping[str, str], operation: botocore.model.OperationModel) -> dict[str, Any]:
    """The operation's input as botocore's input shape describes it; unknown form keys are ignored.

    Raises ``QueryError`` (``ValidationError``) naming every missing required member or malformed value.
    """
    if operation.input_shape is None:
        return {}
    root = _Node()
    for key, value in form.items():
        node = root
        for part in key.split("."):
            node = node.children.setdefault(part, _Node())
        node.value = value
    reader = _Reader()
    params = reader.structure(operation.input_shape, root, "")
    if reader.problems:
        count = len(reader.problems)
        raise QueryError(
            "ValidationError",
            f"{count} validation error{'s' if count > 1 else ''} detected: {'; '.join(reader.problems)}",
        )
    return params


def serialize_response(
    operation: botocore.model.OperationModel, result: Mapping[str, Any], request_id: str
) -> bytes:
    """The ``<{Op}Response>`` document for the operation's result; ``None`` members are left out."""
    out = [f'<{operation.name}Response xmlns="{XMLNS}">']
    shape = operation.output_shape
    if shape is not None:
        _element(out, shape.serialization.get("resultWrapper", f"{operation.name}Result"), shape, result)
    out.append(f"<ResponseMetadata><RequestId>{_escape(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{operation.name}Response>")
    return "".join(out).encode()


def serialize_error(code: str, message: str, request_id: str, *, sender: bool = True) -> bytes:
    """The ``<ErrorResponse>`` document; ``sender`` says whether the caller (not the service) is at fault."""
    return (
        f'<ErrorResponse xmlns="{XMLNS}"><Error><Type>{"Sender" if sender else "Receiver"}</Type>'
        f"<Code>{_escape(code)}</Code><Message>{_escape(message)}</Message></Error>"
        f"<RequestId>{_escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()


def _wire_name(member: botocore.model.Shape, name: str) -> str:
    """A structure member's key on the wire: a flattened list takes its element's name, as botocore does."""
    if member.type_name == "list" and member.serialization.get("flattened"):
        element_name = member.member.serialization.get("name")
        if element_name:
            return str(element_name)
    return str(member.serialization.get("name", name))


def _flattened(shape: botocore.model.Shape) -> bool:
    return bool(shape.serialization.get("flattened"))


# -- requests -----------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Node:
    """The form keys under one dotted prefix, so each shape reads only its own keys (linear in the form)."""

    value: str | None = None
    children: dict[str, _Node] = dataclasses.field(default_factory=dict)

    def indexed(self) -> list[tuple[int, _Node]]:
        """The numbered children (``.1``, ``.2``, ...) in order; other keys are not elements."""
        numbered = [(int(key), kid) for key, kid in self.children.items() if key.isascii() and key.isdigit()]
        return sorted(numbered, key=lambda pair: pair[0])


def _path(path: str, name: str) -> str:
    """A member's path as AWS's validation messages spell it: lower camel case, dot-separated."""
    camel = name[:1].lower() + name[1:]
    return f"{path}.{camel}" if path else camel


class _Reader:
    """Reads a value per shape from the key tree, collecting every problem for one validation error."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def structure(self, shape: botocore.model.Shape, node: _Node, path: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            child = node.children.get(_wire_name(member, name))
            member_path = _path(path, name)
            reported = len(self.problems)
            value = None if child is None else self.value(member, child, member_path)
            if value is not None:
                result[name] = value
            elif name in required and len(self.problems) == reported:  # a malformed value is one problem
                self.problems.append(
                    f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
                )
        return result

    def value(self, shape: botocore.model.Shape, node: _Node, path: str) -> Any:
        """The member's value, or ``None`` when the form does not carry it."""
        match shape.type_name:
            case "structure":
                return self.structure(shape, node, path) if node.children else None
            case "list":
                return self.list(shape, node, path)
            case "map":
                return self.map(shape, node, path)
            case _:
                return None if node.value is None else self.scalar(shape, node.value, path)

    def list(self, shape: botocore.model.Shape, node: _Node, path: str) -> list[Any] | None:
        element_name = shape.member.serialization.get("name", "member")
        parent = node if _flattened(shape) else node.children.get(element_name)
        elements = [] if parent is None else parent.indexed()
        if not elements:
            # botocore sends an empty list as the bare key with an empty value.
            return [] if node.value == "" else None
        values = (self.value(shape.member, child, f"{path}.{index}.member") for index, child in elements)
        return [value for value in values if value is not None]

    def map(self, shape: botocore.model.Shape, node: _Node, path: str) -> dict[Any, Any] | None:
        if not _flattened(shape):
            node = node.children.get("entry", _Node())
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[Any, Any] = {}
        for index, entry in node.indexed():
            key_node, value_node = entry.children.get(key_name), entry.children.get(value_name)
            if key_node is None or value_node is None:
                continue
            key = self.value(shape.key, key_node, f"{path}.{index}.key")
            value = self.value(shape.value, value_node, f"{path}.{index}.value")
            if key is not None and value is not None:
                result[key] = value
        return result or None

    def scalar(self, shape: botocore.model.Shape, text: str, path: str) -> Any:
        try:
            return _SCALARS.get(shape.type_name, str)(text)
        except (ValueError, OverflowError, OSError):
            self.problems.append(
                f"Value '{text[:128]}' at '{path}' failed to satisfy constraint: "
                f"Member must be a valid {shape.type_name}"
            )
            return None


def _boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


def _timestamp(text: str) -> datetime:
    """ISO 8601 (the query protocol's form) or epoch seconds; a zone-less time is UTC."""
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _blob(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(text) from error


_SCALARS: dict[str, Callable[[str], Any]] = {
    "boolean": _boolean,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "timestamp": _timestamp,
    "blob": _blob,
}


# -- responses ----------------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.translate(_ESCAPES)


def _element(out: list[str], tag: str, shape: botocore.model.Shape, value: Any) -> None:
    """``<tag>value</tag>``; a flattened list or map repeats the tag per element instead of wrapping."""
    if shape.type_name == "list" and _flattened(shape):
        for item in value:
            _element(out, tag, shape.member, item)
    elif shape.type_name == "map" and _flattened(shape):
        for key, item in value.items():
            out.append(f"<{tag}>")
            _entry(out, shape, key, item)
            out.append(f"</{tag}>")
    else:
        out.append(f"<{tag}>")
        _content(out, shape, value)
        out.append(f"</{tag}>")


def _entry(out: list[str], shape: botocore.model.Shape, key: Any, value: Any) -> None:
    _element(out, shape.key.serialization.get("name", "key"), shape.key, key)
    _element(out, shape.value.serialization.get("name", "value"), shape.value, value)


def _content(out: list[str], shape: botocore.model.Shape, value: Any) -> None:
    match shape.type_name:
        case "structure":
            unknown = set(value) - set(shape.members)
            if unknown:
                raise KeyError(f"{shape.name} has no members {sorted(unknown)}")
            for name, member in shape.members.items():
                if value.get(name) is not None:
                    _element(out, _wire_name(member, name), member, value[name])
        case "list":
            tag = shape.member.serialization.get("name", "member")
            for item in value:
                _element(out, tag, shape.member, item)
        case "map":
            for key, item in value.items():
                out.append("<entry>")
                _entry(out, shape, key, item)
                out.append("</entry>")
        case "boolean":
            out.append("true" if value else "false")
        case "integer" | "long":
            out.append(str(int(value)))
        case "float" | "double":
            out.append(repr(float(value)))
        case "timestamp":
            out.append(_iso8601(value))
        case "blob":
            out.append(base64.b64encode(value).decode())
        case _:
            out.append(_escape(str(value)))


def _iso8601(value: datetime | float) -> str:
    """UTC with milliseconds, as AWS writes it; a zone-less datetime is taken to be UTC already."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
    else:
        moment = datetime.fromtimestamp(value, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"
