"""Lambda functions and their permissions: ``AWS::Lambda::Function`` and ``AWS::Lambda::Permission``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    _changed,
    _deleting,
    _failing_as,
    _flag,
    _number,
    _ResourceType,
    _retag,
    _tags,
    generated_name,
)


def _function_configuration(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateFunctionConfiguration request for these properties, with AWS's defaults for absent ones."""
    configuration: dict[str, Any] = {
        "Role": str(properties["Role"]),
        "Description": str(properties.get("Description", "")),
        "Timeout": _number(properties.get("Timeout", 3)),
        "MemorySize": _number(properties.get("MemorySize", 128)),
        "Environment": {"Variables": _variables(properties)},
    }
    for name in ("Runtime", "Handler"):
        if name in properties:
            configuration[name] = str(properties[name])
    return configuration


def _variables(properties: Mapping[str, Any]) -> dict[str, str]:
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def _package(ctx: Context, properties: Mapping[str, Any]) -> bytes:
    """The function's deployment package: its code asset, or the zip CloudFormation makes of inline code.

    CloudFormation puts inline ``Code.ZipFile`` source in a file named ``index`` (``index.js`` for Node.js,
    ``index.py`` for Python) and zips it. The zip is built with a fixed timestamp, so unchanged source
    gives an unchanged CodeSha256. (CloudFormation also adds its cfn-response module; that is not done here.)
    """
    code = properties.get("Code") or {}
    if "ZipFile" not in code:
        return ctx.asset_zip(properties)
    extension = "js" if str(properties.get("Runtime", "")).startswith("nodejs") else "py"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(f"index.{extension}", date_time=(1980, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, str(code["ZipFile"]), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class Function(_ResourceType):
    label = "Lambda function"
    supported = frozenset(
        {
            "FunctionName",
            "Code",
            "Runtime",
            "Handler",
            "Role",
            "Environment",
            "Timeout",
            "MemorySize",
            "Description",
            "Architectures",
            "PackageType",
            "Tags",
        }
    )
    replaced_by = frozenset({"FunctionName", "PackageType"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        lam = ctx.client("lambda")
        name = str(properties.get("FunctionName") or generated_name(ctx.stack_name, logical_id, 64))
        request = _function_configuration(properties)
        request.update(FunctionName=name, Code={"ZipFile": _package(ctx, properties)})
        if "Architectures" in properties:
            request["Architectures"] = [str(a) for a in properties["Architectures"]]
        if "PackageType" in properties:
            request["PackageType"] = str(properties["PackageType"])
        if tags := _tags(properties):
            request["Tags"] = tags
        with _failing_as(self.label, name):
            function = lam.create_function(**request)
        return Provisioned(name, {"Arn": function["FunctionArn"]})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        lam = ctx.client("lambda")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "Code", "Architectures"):
                code: dict[str, Any] = {"FunctionName": physical_id, "ZipFile": _package(ctx, new)}
                if "Architectures" in new:
                    code["Architectures"] = [str(a) for a in new["Architectures"]]
                lam.update_function_code(**code)
            configuration = _function_configuration(new)
            if configuration != _function_configuration(old):
                lam.update_function_configuration(FunctionName=physical_id, **configuration)
            arn = str(lam.get_function(FunctionName=physical_id)["Configuration"]["FunctionArn"])
            _retag(
                old,
                new,
                lambda tags: lam.tag_resource(Resource=arn, Tags=tags),
                lambda keys: lam.untag_resource(Resource=arn, TagKeys=keys),
            )
        return Provisioned(physical_id, {"Arn": arn})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        with _deleting(self.label, physical_id, "ResourceNotFoundException"):
            ctx.client("lambda").delete_function(FunctionName=physical_id)


# Every property of AWS::Lambda::Permission is "Update requires: Replacement".
_PERMISSION_PROPERTIES = frozenset(
    {
        "FunctionName",
        "Action",
        "Principal",
        "SourceArn",
        "SourceAccount",
        "EventSourceToken",
        "PrincipalOrgID",
        "FunctionUrlAuthType",
        "InvokedViaFunctionUrl",
    }
)

# The optional AddPermission parameters that are strings, named as the template names them.
_PERMISSION_CONDITIONS = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class Permission(_ResourceType):
    """One statement of a function's resource policy, under a statement id CloudFormation generates.

    Ref is ``<FunctionName>|<statement id>``, the type's primary identifier (FunctionName and Id) joined
    by "|"; Fn::GetAtt Id is the statement id.
    """

    label = "Lambda permission on"
    supported = _PERMISSION_PROPERTIES
    replaced_by = _PERMISSION_PROPERTIES

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        function = str(properties["FunctionName"])
        statement_id = generated_name(ctx.stack_name, logical_id, 100)
        request: dict[str, Any] = {
            "FunctionName": function,
            "StatementId": statement_id,
            "Action": str(properties["Action"]),
            "Principal": str(properties["Principal"]),
        }
        for name in _PERMISSION_CONDITIONS:
            if name in properties:
                request[name] = str(properties[name])
        if "InvokedViaFunctionUrl" in properties:
            request["InvokedViaFunctionUrl"] = _flag(properties["InvokedViaFunctionUrl"])
        with _failing_as(self.label, function):
            ctx.client("lambda").add_permission(**request)
        return Provisioned(f"{function}|{statement_id}", {"Id": statement_id})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        """Nothing to do: any change of a property is a replacement."""
        return Provisioned(physical_id, {"Id": physical_id.rpartition("|")[2]})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """RemovePermission; a function or statement already gone is success."""
        function, _, statement_id = physical_id.rpartition("|")
        function = function or str(properties.get("FunctionName", ""))
        if not function or not statement_id:  # nothing names a statement: there is nothing to remove
            return
        with _deleting(self.label, function, "ResourceNotFoundException"):
            ctx.client("lambda").remove_permission(FunctionName=function, StatementId=statement_id)
