"""One signed HTTP request as IAM authorizes it: the action, the resource ARNs, the request's context keys.

``target_of(HttpRequest)`` reads what the WSGI layer has (method, path, query, headers, body, host, and the
SigV4 signing name, Region and account) and answers a ``Target``, or None for a request it cannot map
(the caller then lets it through and logs it, rather than deny on a guess).

The operation comes from botocore's service model for the signing name, per protocol:

- ``json``: ``X-Amz-Target: <targetPrefix>.<Operation>`` (the prefix must be the model's), members from
  the JSON body;
- ``query``: the ``Action`` field of the form body (``x-www-form-urlencoded``) or the query string, members
  as the (flattened) form fields;
- ``rest-json``/``rest-xml``: the method, path and query keys matched against every operation's
  ``http.requestUri`` template (a matcher built once per service): ``{Label}`` takes one path segment,
  ``{Label+}`` the rest; the template's query keys (``?tagging``, ``?list-type=2``) must be present, and
  so must the operation's required query and header members (``uploadId`` tells AbortMultipartUpload from
  DeleteObject, ``x-amz-copy-source`` CopyObject from PutObject); a query key the operation does not know
  rules it out (SigV4 query-signing keys aside). The most specific match wins. Members come from the
  labels (percent-decoded), the query, the headers and, for rest-json, the JSON body; for S3's
  DeleteObjects the keys of its XML body. S3's bucket is in the path (path style, what boto3 uses against
  ``https://localhost:PORT``) or in the Host (virtual-hosted: ``BUCKET.s3[.-]...`` or
  ``BUCKET.localhost``), then it is put back in front of the path before matching.

``HttpRequest.path`` is the path as sent, still percent-encoded (werkzeug's ``RAW_URI`` without its
query), so that an S3 key with ``%2F`` or a Lambda ARN with ``%3A`` decodes once.

The IAM action is ``<signing name>:<Operation>`` as the Service Authorization Reference lists it
(``authorization_reference``, matched case-insensitively and answered in its spelling, e.g.
``s3:GetBucketCORS``), except where AWS documents another name:

- S3: ``S3_ACTIONS`` (from the S3 User Guide's "Required permissions for Amazon S3 API operations" and
  each operation's "Permissions" section in the S3 API Reference, which botocore's model carries as the
  operation's documentation), and the ``Version`` actions when a ``versionId`` is given
  (``S3_VERSION_ACTIONS``: GetObject with versionId is ``s3:GetObjectVersion``);
- Lambda: ``Invoke`` and ``InvokeWithResponseStream`` are ``lambda:InvokeFunction``,
  ``GetLayerVersionByArn`` is ``lambda:GetLayerVersion``.

An operation whose name the reference lacks and no table covers is not mapped (KMS ``ReEncrypt`` needs
both ``kms:ReEncryptFrom`` and ``kms:ReEncryptTo``); nor is ``sts:GetCallerIdentity``, which AWS never
denies.

Resources: an action without resource types is authorized on ``*``. Otherwise, per service, the request's
names fill the reference's ARN formats for the action's resource types (``ResourceType.arn``; the Region
and account are the request's unless an ARN in the request says otherwise; partition ``aws``); where
several of the action's types can be filled the most specific ones are kept (``rule/BUS/NAME`` over
``rule/NAME`` on a custom bus). Every other top-level string member holding an ARN of one of the action's
types is a resource as it is (Rekognition's ProjectArn, ProjectVersionArn, ResourceArn ...). A
resource-scoped action whose resource the request does not name is not mapped (None).

- S3: ``arn:aws:s3:::BUCKET`` or ``arn:aws:s3:::BUCKET/KEY`` (the key decoded); DeleteObjects one object
  ARN per key of its body (``s3:DeleteObjectVersion`` when every key names a version, else
  ``s3:DeleteObject``). ``Target.bucket`` names the bucket whose policy applies.
- KMS: ``key/ID`` for a KeyId that is a key id or key ARN; for an alias name or alias ARN the alias's ARN
  stands in the key's place, since only the caller can resolve it: ``Target.kms_key_id`` is the KeyId as
  given, and the caller replaces the alias ARN with the key's ARN (``Target.resolve_key``) before
  evaluating, and fetches the key policy. CreateAlias/UpdateAlias: the alias and the target key.
- EventBridge: ``rule/NAME`` on the default bus, ``rule/BUS/NAME`` on another (``EventBusName`` a name or
  ARN).
- Lambda: ``function:NAME`` from a name, partial ARN or ARN, with its qualifier (``:QUALIFIER`` in the
  name or the ``Qualifier`` member) as AWS authorizes a qualified call; ``Target.function`` is that ARN.
- CloudFormation: a stack ARN as given; a stack name as ``stack/NAME/*`` (the stack id is not in the
  request: a policy naming the exact stack ARN does not match it).
- CloudWatch Logs: ``log-group:GROUP`` and, for stream actions (PutLogEvents, CreateLogStream),
  ``log-group:GROUP:log-stream:STREAM``, as the reference's formats are.
- IAM: roles, users, groups and instance profiles by name (with ``Path`` where the request has it, else
  none assumed), policies by ARN. STS: AssumeRole's RoleArn.

Context keys: ``aws:SecureTransport``, ``aws:RequestedRegion`` and ``aws:UserAgent`` always; and, where
the reference lists the key for the action: ``aws:RequestTag/KEY`` and ``aws:TagKeys`` from the request's
tags; S3 ``s3:prefix``, ``s3:delimiter``, ``s3:max-keys``, ``s3:versionid``, ``s3:authType``,
``s3:signatureversion``, the ``s3:x-amz-...`` and ``s3:if-match``/``s3:if-none-match`` header keys; KMS
``kms:CallerAccount``, ``kms:RequestAlias``, ``kms:EncryptionContext:KEY``, ``kms:EncryptionContextKeys``,
``kms:EncryptionAlgorithm``, ``kms:GrantOperations``, ``kms:GranteePrincipal``, ``kms:RetiringPrincipal``,
``kms:GrantConstraintType``; Lambda ``lambda:Principal``, ``lambda:FunctionUrlAuthType``; EventBridge
``events:source``, ``events:detail-type`` (from PutRule's EventPattern) and ``events:TargetArn``. Keys
that depend on state the request does not carry (``aws:ResourceTag/...``, ``s3:ExistingObjectTag/...``,
``kms:KeySpec``, ``aws:CurrentTime``, ``aws:SourceIp``) are the caller's to add.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .authorization_reference import Action, reference
from .conditions import ContextValue
from .evaluation import ANY_RESOURCE

PARTITION = "aws"

# Operations whose IAM action is named otherwise (S3 User Guide, "Required permissions for Amazon S3 API
# operations"; the "Permissions" of each operation in the S3 API Reference).
S3_ACTIONS: Mapping[str, str] = {
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",  # and s3:GetObject on the source, which one Target does not carry
    "CreateBucketMetadataConfiguration": "CreateBucketMetadataTableConfiguration",
    "CreateMultipartUpload": "PutObject",
    "DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "DeleteBucketCors": "PutBucketCORS",
    "DeleteBucketEncryption": "PutEncryptionConfiguration",
    "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "DeleteBucketInventoryConfiguration": "PutInventoryConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "DeleteBucketMetadataConfiguration": "DeleteBucketMetadataTableConfiguration",
    "DeleteBucketMetricsConfiguration": "PutMetricsConfiguration",
    "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
    "DeleteBucketReplication": "PutReplicationConfiguration",
    "DeleteBucketTagging": "PutBucketTagging",
    "DeleteObjects": "DeleteObject",
    "DeletePublicAccessBlock": "PutBucketPublicAccessBlock",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration",
    "GetBucketInventoryConfiguration": "GetInventoryConfiguration",
    "GetBucketLifecycle": "GetLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetBucketMetadataConfiguration": "GetBucketMetadataTableConfiguration",
    "GetBucketMetricsConfiguration": "GetMetricsConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "HeadBucket": "ListBucket",
    "HeadObject": "GetObject",
    "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
    "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
    "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
    "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
    "ListBuckets": "ListAllMyBuckets",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListObjectVersions": "ListBucketVersions",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "ListParts": "ListMultipartUploadParts",
    "PutBucketAccelerateConfiguration": "PutAccelerateConfiguration",
    "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
    "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
    "PutBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "PutBucketReplication": "PutReplicationConfiguration",
    "PutObjectLockConfiguration": "PutBucketObjectLockConfiguration",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "SelectObjectContent": "GetObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",  # and s3:GetObject on the source
}
# The action when the request names an object version (``versionId``).
S3_VERSION_ACTIONS: Mapping[str, str] = {
    "DeleteObject": "DeleteObjectVersion",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
    "GetObject": "GetObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "GetObjectAttributes": "GetObjectVersionAttributes",
    "GetObjectTagging": "GetObjectVersionTagging",
    "GetObjectTorrent": "GetObjectVersionTorrent",
    "HeadObject": "GetObjectVersion",
    "PutObjectAcl": "PutObjectVersionAcl",
    "PutObjectTagging": "PutObjectVersionTagging",
}
# Directory-bucket (S3 Express) operations, answered at other endpoints; ListDirectoryBuckets would
# otherwise tie with ListBuckets on ``GET /``.
_S3_EXPRESS_ONLY = frozenset({"CreateSession", "ListDirectoryBuckets"})
_RENAMED: Mapping[str, Mapping[str, str]] = {
    "lambda": {
        "Invoke": "InvokeFunction",
        "InvokeWithResponseStream": "InvokeFunction",
        "GetLayerVersionByArn": "GetLayerVersion",
    },
}
# Operations AWS never authorizes (any identity may call them, whatever its policies say).
_NEVER_AUTHORIZED = frozenset({"sts:GetCallerIdentity"})
_BASE_VARIABLES = frozenset({"Partition", "Region", "Account"})
_ALIAS_ARN = re.compile(r"arn:[^:]+:kms:[^:]*:[^:]*:alias/.+")
_SIGNING_QUERY_KEY = "x-amz-"


@dataclasses.dataclass(frozen=True)
class HttpRequest:
    """What the WSGI layer knows of one request.

    ``path`` as sent (percent-encoded, no query); ``query`` the raw query string; ``headers`` with
    lower-case names; ``host`` the Host header; ``service``, ``region`` the SigV4 credential scope's
    signing name and Region; ``account`` the caller's account; ``secure`` whether it came over TLS."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    host: str
    service: str
    region: str
    account: str
    secure: bool


@dataclasses.dataclass(frozen=True)
class Target:
    """What IAM authorizes for a request.

    ``action``: ``service:Action`` as the reference spells it; ``resources``: the ARNs it is authorized
    against (``("*",)`` for an action without resource types); ``context``: the request's condition keys.
    The locators name the resource whose policy applies, for the caller to fetch: ``kms_key_id`` the
    KeyId as given (key id, key ARN, alias name or alias ARN; an alias's ARN then stands in
    ``resources`` for the key's, see ``resolve_key``), ``bucket`` the S3 bucket, ``function`` the Lambda
    function's ARN (qualified when the call is)."""

    action: str
    resources: tuple[str, ...]
    context: Mapping[str, ContextValue] = dataclasses.field(default_factory=dict)
    kms_key_id: str | None = None
    bucket: str | None = None
    function: str | None = None

    def resolve_key(self, key_arn: str) -> Target:
        """This target with the KMS alias ARN that stood for the key replaced by the key's ARN."""
        if self.kms_key_id is None:
            return self
        resources = dict.fromkeys(key_arn if _ALIAS_ARN.fullmatch(r) else r for r in self.resources)
        return dataclasses.replace(self, resources=tuple(resources))


@dataclasses.dataclass(frozen=True)
class _Call:
    """The operation a request calls, and its input members by botocore's member names (top level)."""

    operation: str
    params: Mapping[str, Any]


def operation_of(request: HttpRequest) -> str | None:
    """The botocore operation ``request`` calls (``GetObject``, ``Invoke``), or None if none matches."""
    call = _parse(request)
    return call.operation if call is not None else None


def target_of(request: HttpRequest) -> Target | None:
    """The action, resources and context IAM authorizes ``request`` on; None if it cannot be mapped."""
    request = dataclasses.replace(request, headers={k.lower(): v for k, v in request.headers.items()})
    call = _parse(request)
    if call is None:
        return None
    action = _action_of(request.service, call)
    if action is None:
        return None
    resources = _resources(request, action, call.params)
    if not resources:
        return None
    params = call.params
    bucket = params.get("Bucket") if request.service == "s3" else None
    key_id = params.get("KeyId") if request.service == "kms" else None
    function = _function_arn(request, params) if request.service == "lambda" else None
    return Target(
        action=action.full_name,
        resources=resources,
        context=_context(request, action, params),
        kms_key_id=key_id if isinstance(key_id, str) else None,
        bucket=bucket if isinstance(bucket, str) else None,
        function=function,
    )


# --- the operation ---------------------------------------------------------------------------------


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def _service_model(service: str) -> Any:
    import botocore.exceptions

    try:
        return _session().get_service_model(service)
    except botocore.exceptions.UnknownServiceError:
        return None


def _parse(request: HttpRequest) -> _Call | None:
    model = _service_model(request.service)
    if model is None:
        return None
    return _call_of(
        dataclasses.replace(request, headers={k.lower(): v for k, v in request.headers.items()}), model
    )


def _call_of(request: HttpRequest, model: Any) -> _Call | None:
    protocol = str(getattr(model, "resolved_protocol", None) or model.protocol)
    if "x-amz-target" in request.headers:
        return _json_call(request, model)
    if protocol in ("query", "ec2"):
        return _query_call(request, model)
    if protocol in ("rest-json", "rest-xml"):
        return _rest_call(request, model)
    return None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _json_call(request: HttpRequest, model: Any) -> _Call | None:
    prefix, _, operation = request.headers["x-amz-target"].partition(".")
    if prefix != model.metadata.get("targetPrefix") or operation not in model.operation_names:
        return None
    return _Call(operation, _json_object(request.body))


def _query_call(request: HttpRequest, model: Any) -> _Call | None:
    fields = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "application/x-www-form-urlencoded")
    if request.body and content_type.startswith("application/x-www-form-urlencoded"):
        form = request.body.decode("utf-8", "replace")
        fields.update(urllib.parse.parse_qsl(form, keep_blank_values=True))
    operation = fields.pop("Action", "")
    fields.pop("Version", None)
    if operation not in model.operation_names:
        return None
    return _Call(operation, fields)


@dataclasses.dataclass(frozen=True)
class _Route:
    """One operation's ``http`` binding, compiled."""

    operation: str
    method: str
    path: re.Pattern[str]
    labels: tuple[str, ...]  # the member each group of ``path`` fills, in order
    literal_query: tuple[tuple[str, str | None], ...]  # the template's query keys (and values)
    query_members: Mapping[str, tuple[str, bool]]  # query key -> (member, is a list)
    any_query: bool  # a map member takes whatever query keys come
    header_members: Mapping[str, str]  # header name (lower case) -> member
    body_members: Mapping[str, str]  # JSON body key -> member
    required_query: frozenset[str]
    required_headers: frozenset[str]
    payload: str | None  # the member that is the whole body, if any
    payload_is_structure: bool
    deprecated: bool
    greedy: int  # how many greedy labels ({Key+}): fewer is more specific

    @property
    def specificity(self) -> tuple[int, int, int]:
        keys = len(self.literal_query) + len(self.required_query) + len(self.required_headers)
        return (keys, not self.deprecated, -self.greedy)


def _compile(operation: Any) -> _Route:
    http = operation.http
    path, _, query = str(http["requestUri"]).partition("?")
    shape = operation.input_shape
    members: Mapping[str, Any] = shape.members if shape is not None else {}
    uri_members = {
        str(m.serialization.get("name", name)): name
        for name, m in members.items()
        if m.serialization.get("location") == "uri"
    }
    pattern, labels, greedy = "", [], 0
    for index, piece in enumerate(re.split(r"\{([^}]+)\}", _trim(path))):
        if index % 2 == 0:
            pattern += re.escape(piece)
            continue
        is_greedy = piece.endswith("+")
        label = piece.rstrip("+")
        pattern += "(.+)" if is_greedy else "([^/]+)"
        labels.append(uri_members.get(label, label))
        greedy += is_greedy
    literal_query = tuple(
        (key, value if sep else None)
        for key, sep, value in (item.partition("=") for item in query.split("&") if item)
    )
    query_members: dict[str, tuple[str, bool]] = {}
    header_members: dict[str, str] = {}
    body_members: dict[str, str] = {}
    any_query = False
    for name, member in members.items():
        location = member.serialization.get("location")
        wire = str(member.serialization.get("name", name))
        if location == "querystring":
            if member.type_name == "map":
                any_query = True
            else:
                query_members[wire] = (name, member.type_name == "list")
        elif location == "header":
            header_members[wire.lower()] = name
        elif location is None:
            body_members[wire] = name
    required = set(shape.required_members) if shape is not None else set()
    payload: str | None = shape.serialization.get("payload") if shape is not None else None
    return _Route(
        operation=operation.name,
        method=str(http["method"]).upper(),
        path=re.compile(pattern),
        labels=tuple(labels),
        literal_query=literal_query,
        query_members=query_members,
        any_query=any_query,
        header_members=header_members,
        body_members=body_members,
        required_query=frozenset(key for key, (name, _) in query_members.items() if name in required),
        required_headers=frozenset(h for h, name in header_members.items() if name in required),
        payload=payload,
        payload_is_structure=payload is not None and members[payload].type_name == "structure",
        deprecated=bool(operation.deprecated),
        greedy=greedy,
    )


def _trim(path: str) -> str:
    return path.rstrip("/") or "/"


@functools.cache
def _routes(service: str) -> tuple[_Route, ...]:
    model = _service_model(service)
    skip = _S3_EXPRESS_ONLY if service == "s3" else frozenset()
    return tuple(_compile(model.operation_model(name)) for name in model.operation_names if name not in skip)


def _route_matches(route: _Route, request: HttpRequest, query: Mapping[str, list[str]]) -> bool:
    if any(
        key not in query or (value is not None and value not in query[key])
        for key, value in route.literal_query
    ):
        return False
    if not route.required_query <= query.keys() or not route.required_headers <= request.headers.keys():
        return False
    if route.any_query:
        return True
    known = {key for key, _ in route.literal_query} | route.query_members.keys()
    return all(key in known or key.lower().startswith(_SIGNING_QUERY_KEY) for key in query)


def _rest_call(request: HttpRequest, model: Any) -> _Call | None:
    path = request.path or "/"
    params: dict[str, Any] = {}
    if request.service == "s3":
        bucket = _virtual_host_bucket(request.host)
        if bucket is not None:
            path = "/" + urllib.parse.quote(bucket, safe="") + (path if path != "/" else "")
    path = _trim(path)
    query = urllib.parse.parse_qs(request.query, keep_blank_values=True)
    best: tuple[_Route, re.Match[str]] | None = None
    for route in _routes(request.service):
        if route.method != request.method.upper():
            continue
        found = route.path.fullmatch(path)
        if found is None or not _route_matches(route, request, query):
            continue
        if best is None or route.specificity > best[0].specificity:
            best = (route, found)
    if best is None:
        return None
    route, found = best
    for member, value in zip(route.labels, found.groups(), strict=True):
        params[member] = urllib.parse.unquote(value)
    for key, values in query.items():
        if key in route.query_members:
            member, is_list = route.query_members[key]
            params[member] = values if is_list else values[-1]
    for header, member in route.header_members.items():
        if header in request.headers:
            params[member] = request.headers[header]
    params.update(_body_members(route, request, model))
    return _Call(route.operation, params)


def _body_members(route: _Route, request: HttpRequest, model: Any) -> dict[str, Any]:
    if not request.body:
        return {}
    if str(model.protocol) == "rest-json":
        if route.payload is not None:
            return {route.payload: _json_object(request.body)} if route.payload_is_structure else {}
        body = _json_object(request.body)
        return {route.body_members[key]: value for key, value in body.items() if key in route.body_members}
    if request.service == "s3" and route.operation == "DeleteObjects":
        return {"Delete": {"Objects": _deleted_objects(request.body)}}
    return {}


def _deleted_objects(body: bytes) -> list[dict[str, str]]:
    """The ``<Object>``s of a DeleteObjects body: their Key and VersionId."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    objects: list[dict[str, str]] = []
    for element in root:
        if _local(element.tag) != "Object":
            continue
        fields = {_local(child.tag): child.text or "" for child in element}
        if "Key" in fields:
            objects.append({name: fields[name] for name in ("Key", "VersionId") if name in fields})
    return objects


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


_S3_HOST_MARKERS = (".s3.", ".s3-")
_S3_NON_BUCKET_ENDPOINTS = ("s3-accesspoint", "s3-object-lambda", "s3-outposts", "s3-control")


def _virtual_host_bucket(host: str) -> str | None:
    """The bucket of a virtual-hosted-style S3 Host (``b.s3.us-east-1.amazonaws.com``, ``b.localhost``)."""
    if host.startswith("["):  # an IPv6 literal
        return None
    name = host.rpartition(":")[0] if ":" in host else host
    name = name.lower().rstrip(".")
    for marker in _S3_HOST_MARKERS:
        at = name.rfind(marker)
        if at > 0:
            if name[at + 1 :].startswith(_S3_NON_BUCKET_ENDPOINTS):
                return None
            return name[:at]
    if name.endswith(".localhost"):
        return name[: -len(".localhost")]
    return None


# --- the action ------------------------------------------------------------------------------------


def _action_of(service: str, call: _Call) -> Action | None:
    if service == "s3":
        name = _s3_action(call.operation, call.params)
    else:
        name = _RENAMED.get(service, {}).get(call.operation, call.operation)
    if f"{service}:{name}" in _NEVER_AUTHORIZED:
        return None
    return reference().action(f"{service}:{name}")


def _s3_action(operation: str, params: Mapping[str, Any]) -> str:
    if operation == "DeleteObjects":
        objects = _objects(params)
        if objects and all(item.get("VersionId") for item in objects):
            return "DeleteObjectVersion"
    if params.get("VersionId") and operation in S3_VERSION_ACTIONS:
        return S3_VERSION_ACTIONS[operation]
    return S3_ACTIONS.get(operation, operation)


def _objects(params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    delete = params.get("Delete")
    objects = delete.get("Objects") if isinstance(delete, Mapping) else None
    return [item for item in objects if isinstance(item, Mapping)] if isinstance(objects, list) else []


# --- the resources ---------------------------------------------------------------------------------

Values = dict[str, str]
# A service's names -> ARNs: (the request's members, the action, the base values) -> the ARNs.
Naming = Callable[[Mapping[str, Any], Action, Values], list[str]]


def _fill(action: Action, *alternatives: Values) -> list[str]:
    """The ARNs of the action's resource types that ``values`` fill, keeping the most specific."""
    arns: list[str] = []
    for values in alternatives:
        filled = [
            (len(set(rt.variables) - _BASE_VARIABLES), rt)
            for rt in action.resource_types
            if all(variable in values for variable in rt.variables)
        ]
        best = max((score for score, _ in filled), default=0)
        arns += [rt.arn(**values) for score, rt in filled if score == best]
    return arns


def _arn_parts(arn: str) -> tuple[str, str, str] | None:
    """(Region, account, resource) of an ARN, or None for something else."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[3], parts[4], parts[5]


def _string(params: Mapping[str, Any], member: str) -> str | None:
    value = params.get(member)
    return value if isinstance(value, str) and value else None


def _s3_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    bucket = _string(params, "Bucket")
    if bucket is None:
        return []
    values = {**base, "BucketName": bucket}
    key = _string(params, "Key")
    keys = [key] if key is not None else [str(item["Key"]) for item in _objects(params)]
    if not keys:
        return _fill(action, values)
    return _fill(action, *({**values, "ObjectName": name} for name in keys))


def _kms_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    values = dict(base)
    arns: list[str] = []
    alias = _string(params, "AliasName")
    if alias is not None:
        values["Alias"] = alias.removeprefix("alias/")
    key = _string(params, "KeyId") or _string(params, "TargetKeyId")
    if key is not None:
        parts = _arn_parts(key)
        if parts is not None:
            values["Region"], values["Account"], resource = parts
        else:
            resource = key
        if resource.startswith("alias/"):  # the caller resolves it to the key (Target.resolve_key)
            if any(rt.name == "key" for rt in action.resource_types):
                arns.append(key if parts else f"arn:{PARTITION}:kms:{base['Region']}:{base['Account']}:{key}")
        else:
            values["KeyId"] = resource.removeprefix("key/")
    return arns + _fill(action, values)


def _events_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    rule = _string(params, "Rule") or _string(params, "Name")
    if rule is None:
        return []
    values = {**base, "RuleName": rule}
    bus = _string(params, "EventBusName") or "default"
    parts = _arn_parts(bus)
    if parts is not None:
        values["Region"], values["Account"], resource = parts
        bus = resource.removeprefix("event-bus/")
    if bus != "default":
        values["EventBusName"] = bus
    return _fill(action, values)


def _function_values(params: Mapping[str, Any], base: Values) -> Values | None:
    name = _string(params, "FunctionName")
    if name is None:
        return None
    values = dict(base)
    parts = name.split(":")
    if parts[0] == "arn" and len(parts) >= 7:  # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        values["Region"], values["Account"], function = parts[3], parts[4], ":".join(parts[6:])
    elif len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
        values["Account"], function = parts[0], ":".join(parts[2:])
    else:  # NAME[:QUALIFIER]
        function = name
    qualifier = _string(params, "Qualifier")
    if qualifier is not None and ":" not in function:
        function = f"{function}:{qualifier}"
    values["FunctionName"] = function
    return values


def _function_arn(request: HttpRequest, params: Mapping[str, Any]) -> str | None:
    values = _function_values(params, _base(request))
    if values is None:
        return None
    return f"arn:{PARTITION}:lambda:{values['Region']}:{values['Account']}:function:{values['FunctionName']}"


def _lambda_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    values = _function_values(params, base)
    return _fill(action, values) if values is not None else []


def _cloudformation_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    stack = _string(params, "StackName")
    if stack is None:
        return []
    values = dict(base)
    parts = _arn_parts(stack)
    if parts is not None:
        values["Region"], values["Account"], resource = parts
        _, _, rest = resource.partition("/")  # stack/NAME/ID
        values["StackName"], _, values["Id"] = rest.partition("/")
    else:
        values["StackName"], values["Id"] = stack, "*"
    return _fill(action, values)


def _logs_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    group = _string(params, "logGroupName") or _string(params, "logGroupIdentifier")
    if group is None:
        return []
    values = dict(base)
    parts = _arn_parts(group)
    if parts is not None:  # arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]
        values["Region"], values["Account"], resource = parts
        group = resource.removeprefix("log-group:").removesuffix(":*")
    values["LogGroupName"] = group
    stream = _string(params, "logStreamName")
    if stream is not None:
        values["LogStreamName"] = stream
    return _fill(action, values)


def _iam_resources(params: Mapping[str, Any], action: Action, base: Values) -> list[str]:
    values = dict(base)
    path = (_string(params, "Path") or "/").strip("/")
    for kind in ("Role", "User", "Group", "InstanceProfile"):
        name = _string(params, f"{kind}Name")
        if name is not None:
            values[f"{kind}NameWithPath"] = f"{path}/{name}" if path else name
    return _fill(action, values)


_NAMINGS: Mapping[str, tuple[frozenset[str], Naming]] = {
    "s3": (frozenset({"Bucket", "Key", "Delete"}), _s3_resources),
    "kms": (frozenset({"KeyId", "TargetKeyId", "AliasName"}), _kms_resources),
    "events": (frozenset({"Rule", "Name", "EventBusName"}), _events_resources),
    "lambda": (frozenset({"FunctionName", "Qualifier"}), _lambda_resources),
    "cloudformation": (frozenset({"StackName"}), _cloudformation_resources),
    "logs": (frozenset({"logGroupName", "logGroupIdentifier", "logStreamName"}), _logs_resources),
    "iam": (frozenset({"RoleName", "UserName", "GroupName", "InstanceProfileName", "Path"}), _iam_resources),
}


def _base(request: HttpRequest) -> Values:
    return {"Partition": PARTITION, "Region": request.region, "Account": request.account}


def _arns_in(value: Any) -> Iterator[str]:
    if isinstance(value, str) and value.startswith("arn:"):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str) and item.startswith("arn:"))


def _resources(request: HttpRequest, action: Action, params: Mapping[str, Any]) -> tuple[str, ...]:
    """The ARNs ``action`` is authorized against; () when the request names none of its resources."""
    if not action.resource_scoped:
        return (ANY_RESOURCE,)
    named, naming = _NAMINGS.get(request.service, (frozenset(), None))
    arns = naming(params, action, _base(request)) if naming is not None else []
    for member, value in params.items():
        if member not in named:
            arns += [arn for arn in _arns_in(value) if action.resource_types_for(arn)]
    return tuple(dict.fromkeys(arns))


# --- the context -----------------------------------------------------------------------------------


@functools.cache
def _condition_keys(action: Action) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys the reference lists for the action (lower case), and the prefixes of its templated
    ones (``aws:requesttag/`` for ``aws:RequestTag/${TagKey}``)."""
    keys = set(action.condition_keys)
    for resource in action.resources:
        keys |= set(resource.condition_keys) | set(resource.resource_type.condition_keys)
    exact = frozenset(key.lower() for key in keys if "${" not in key and "<" not in key)
    prefixes = tuple(
        re.split(r"\$\{|<", key, maxsplit=1)[0].lower() for key in keys if "${" in key or "<" in key
    )
    return exact, prefixes


def _supports(action: Action, key: str) -> bool:
    exact, prefixes = _condition_keys(action)
    lowered = key.lower()
    return lowered in exact or any(lowered.startswith(p) and len(lowered) > len(p) for p in prefixes)


def _tags(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    pairs: list[tuple[str, str]] = []
    tags = params.get("Tags")
    if isinstance(tags, Mapping):
        pairs = [(str(k), str(v)) for k, v in tags.items()]
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, Mapping):
                key = tag.get("Key", tag.get("TagKey"))
                if key is not None:
                    pairs.append((str(key), str(tag.get("Value", tag.get("TagValue", "")))))
    context: dict[str, ContextValue] = {f"aws:RequestTag/{k}": v for k, v in pairs}
    keys = [k for k, _ in pairs]
    removed = params.get("TagKeys")
    if isinstance(removed, list):
        keys += [str(k) for k in removed]
    if tags is not None or removed is not None:
        context["aws:TagKeys"] = keys
    return context


def _s3_context(request: HttpRequest, action: Action, params: Mapping[str, Any]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    for member, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys")):
        if isinstance(params.get(member), str):
            context[key] = params[member]
    if _string(params, "VersionId"):
        context["s3:versionid"] = params["VersionId"]
    query = urllib.parse.parse_qs(request.query)
    if "authorization" in request.headers:
        context["s3:authType"] = "REST-HEADER"
        context["s3:signatureversion"] = request.headers["authorization"].split(" ", 1)[0]
    elif "X-Amz-Algorithm" in query:
        context["s3:authType"] = "REST-QUERY-STRING"
        context["s3:signatureversion"] = query["X-Amz-Algorithm"][-1]
    exact, _ = _condition_keys(action)
    for key in exact:
        header = key.removeprefix("s3:")
        wired = key.startswith("s3:") and header.startswith(("x-amz-", "if-"))
        if wired and header in request.headers:
            context[key] = request.headers[header]
    return context


def _kms_context(request: HttpRequest, params: Mapping[str, Any]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {"kms:CallerAccount": request.account}
    key = _string(params, "KeyId")
    if key is not None and ("alias/" in key):
        context["kms:RequestAlias"] = "alias/" + key.partition("alias/")[2]
    encryption_context = params.get("EncryptionContext")
    if isinstance(encryption_context, Mapping):
        for name, value in encryption_context.items():
            context[f"kms:EncryptionContext:{name}"] = str(value)
        context["kms:EncryptionContextKeys"] = [str(name) for name in encryption_context]
    for member, name in (
        ("EncryptionAlgorithm", "kms:EncryptionAlgorithm"),
        ("GranteePrincipal", "kms:GranteePrincipal"),
        ("RetiringPrincipal", "kms:RetiringPrincipal"),
    ):
        if _string(params, member):
            context[name] = params[member]
    operations = params.get("Operations")
    if isinstance(operations, list):
        context["kms:GrantOperations"] = [str(operation) for operation in operations]
    constraints = params.get("Constraints")
    if isinstance(constraints, Mapping) and constraints:
        context["kms:GrantConstraintType"] = [str(kind) for kind in constraints]
    return context


def _lambda_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    return {
        key: params[member]
        for member, key in (
            ("Principal", "lambda:Principal"),
            ("FunctionUrlAuthType", "lambda:FunctionUrlAuthType"),
        )
        if _string(params, member)
    }


def _events_context(params: Mapping[str, Any]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {}
    pattern = _string(params, "EventPattern")
    if pattern is not None:
        parsed = _json_object(pattern.encode())
        for field, key in (("source", "events:source"), ("detail-type", "events:detail-type")):
            value = parsed.get(field)
            if isinstance(value, list):
                context[key] = [str(item) for item in value if isinstance(item, str)]
    targets = params.get("Targets")
    if isinstance(targets, list):
        arns = [str(t["Arn"]) for t in targets if isinstance(t, Mapping) and isinstance(t.get("Arn"), str)]
        context["events:TargetArn"] = arns
    return context


def _context(request: HttpRequest, action: Action, params: Mapping[str, Any]) -> dict[str, ContextValue]:
    context: dict[str, ContextValue] = {
        "aws:SecureTransport": request.secure,
        "aws:RequestedRegion": request.region,
    }
    if "user-agent" in request.headers:
        context["aws:UserAgent"] = request.headers["user-agent"]
    specific = _tags(params)
    if request.service == "s3":
        specific.update(_s3_context(request, action, params))
    elif request.service == "kms":
        specific.update(_kms_context(request, params))
    elif request.service == "lambda":
        specific.update(_lambda_context(params))
    elif request.service == "events":
        specific.update(_events_context(params))
    context.update({key: value for key, value in specific.items() if _supports(action, key)})
    return context


__all__ = [
    "PARTITION",
    "S3_ACTIONS",
    "S3_VERSION_ACTIONS",
    "HttpRequest",
    "Target",
    "operation_of",
    "target_of",
]
