"""A change set's inputs as CloudFormation reads them: the template (body or S3 URL) and its parameters."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from botocore.exceptions import ClientError

from .errors import validation

TEMPLATE_BODY_LIMIT = 51_200  # bytes, CreateChangeSet's TemplateBody
TEMPLATE_URL_LIMIT = 1_048_576  # bytes, a template read from S3
_SSM_TYPE = "AWS::SSM::Parameter::Value<"


class _TemplateLoader(yaml.SafeLoader):
    """YAML templates with CloudFormation's short forms (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        raise yaml.constructor.ConstructorError(None, None, f"!{suffix} takes a value", node.start_mark)
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _short_form)


def parse_template(body: str) -> dict[str, Any]:
    """JSON or YAML, as CloudFormation takes either; anything else is a template format error."""
    try:
        template = json.loads(body)
    except ValueError:
        try:
            template = yaml.load(body, Loader=_TemplateLoader)
        except yaml.YAMLError as error:
            raise validation(f"Template format error: YAML not well-formed. {error}") from error
    if not isinstance(template, dict):
        raise validation("Template format error: JSON not well-formed.")
    if not isinstance(template.get("Resources"), dict) or not template["Resources"]:
        raise validation("Template format error: At least one Resources member must be defined.")
    return template


def s3_location(url: str) -> tuple[str, str]:
    """(bucket, key) of an S3 object URL, path-style (any host: AWS's or a local endpoint's) or
    virtual-hosted (``<bucket>.s3[.<region>].amazonaws.com``)."""
    parsed = urllib.parse.urlsplit(url)
    host = (parsed.hostname or "").lower()
    path = urllib.parse.unquote(parsed.path).lstrip("/")
    if parsed.scheme not in ("http", "https") or not host:
        raise validation("TemplateURL must be a supported URL.")
    path_style = host.startswith(("s3.", "s3-")) or not any(m in host for m in (".s3.", ".s3-"))
    virtual = "" if path_style else host.rsplit(".s3", 1)[0]  # a bucket name may hold ".s3" itself
    bucket, _, key = (virtual, "", path) if virtual else path.partition("/")
    if not bucket or not key:
        raise validation(f"TemplateURL must name an S3 object: {url}")
    return bucket, key


def read_template_url(s3: Any, url: str) -> str:
    bucket, key = s3_location(url)
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        details = error.response.get("Error", {})
        raise validation(f"S3 error: {details.get('Message') or details.get('Code')}") from error
    if len(body) > TEMPLATE_URL_LIMIT:
        raise validation(f"Template may not exceed {TEMPLATE_URL_LIMIT} bytes in size.")
    return str(body.decode("utf-8"))


def template_text(request: Mapping[str, Any], s3: Any, previous: str | None) -> str:
    """The template a CreateChangeSet names: TemplateBody, TemplateURL or UsePreviousTemplate."""
    given = [name for name in ("TemplateBody", "TemplateURL") if request.get(name)]
    if request.get("UsePreviousTemplate"):
        given.append("UsePreviousTemplate")
    if len(given) != 1:
        raise validation("Specify exactly one of TemplateBody, TemplateURL or UsePreviousTemplate.")
    if given[0] == "UsePreviousTemplate":
        if previous is None:
            raise validation("UsePreviousTemplate can only be used with an existing stack.")
        return previous
    if given[0] == "TemplateURL":
        return read_template_url(s3, str(request["TemplateURL"]))
    body = str(request["TemplateBody"])
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        raise validation(
            f"1 validation error detected: Value '[...]' at 'templateBody' failed to satisfy constraint: "
            f"Member must have length less than or equal to {TEMPLATE_BODY_LIMIT}"
        )
    return body


@dataclass(frozen=True)
class Parameters:
    """Parameter values as DescribeStacks shows them (``declared``) and as the template sees them."""

    declared: list[dict[str, str]]
    resolved: dict[str, str]


def resolve_parameters(
    template: Mapping[str, Any],
    given: Sequence[Mapping[str, Any]],
    previous: Mapping[str, str],
    ssm: Any,
) -> Parameters:
    """Each declared parameter's value: given, the previous one (UsePreviousValue) or its Default; an
    SSM-typed parameter's value is a parameter name, resolved now as CloudFormation does."""
    declarations: Mapping[str, Any] = template.get("Parameters") or {}
    values: dict[str, str] = {}
    for item in given:
        key = str(item.get("ParameterKey", ""))
        if key not in declarations:
            raise validation(f"Parameters: [{key}] do not exist in the template")
        if item.get("UsePreviousValue"):
            if key not in previous:
                raise validation(
                    f"Invalid input for parameter key {key}. Cannot specify usePreviousValue as true "
                    "for a parameter key not in the previous template"
                )
            values[key] = previous[key]
        else:
            values[key] = str(item.get("ParameterValue", ""))
    missing = []
    for key, declaration in declarations.items():
        if key not in values:
            if "Default" in declaration:
                default = declaration["Default"]
                values[key] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
            else:
                missing.append(key)
    if missing:
        raise validation(f"Parameters: [{', '.join(missing)}] must have values")
    declared, resolved = [], {}
    for key, value in values.items():
        entry = {"ParameterKey": key, "ParameterValue": value}
        resolved[key] = value
        _check_allowed(key, value, declarations[key])
        if str(declarations[key].get("Type", "")).startswith(_SSM_TYPE):
            resolved[key] = entry["ResolvedValue"] = _ssm_value(ssm, value)
        declared.append(entry)
    return Parameters(declared, resolved)


def _check_allowed(key: str, value: str, declaration: Mapping[str, Any]) -> None:
    allowed = declaration.get("AllowedValues")
    if isinstance(allowed, list) and value not in [str(a) for a in allowed]:
        raise validation(f"Parameter '{key}' must be one of AllowedValues")


def _ssm_value(ssm: Any, name: str) -> str:
    try:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as error:
        raise validation(
            f"Unable to fetch parameters [{name}] from parameter store for this account."
        ) from error
