"""Lambda code as AWS has it, for stacks deployed through the CloudFormation API (no cloud assembly).

A function is created from the S3 object its ``Code`` names, as in AWS; afterwards Lambda holds its own
copy, so a custom resource's provider runs the package Lambda holds (an asset object deleted or replaced
since does not change the code that answers its Update or Delete).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError
from moto.backends import get_backend

from .assembly import code_asset_dir
from .provisioners import ProvisionError

# Content-addressed (by CodeSha256), so every engine and process may share one folder.
PACKAGE_CACHE = Path(tempfile.gettempdir()) / "localcloud-lambda-packages"


def s3_package(s3: Any, code: Mapping[str, Any]) -> bytes:
    """The zip ``Code.S3Bucket``/``S3Key`` (``S3ObjectVersion``) names, with Lambda's wording on failure."""
    bucket, key = code.get("S3Bucket"), code.get("S3Key")
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise ProvisionError("Code must name S3Bucket and S3Key (or give ZipFile)")
    request = {"Bucket": bucket, "Key": key}
    if code.get("S3ObjectVersion"):
        request["VersionId"] = str(code["S3ObjectVersion"])
    try:
        return bytes(s3.get_object(**request)["Body"].read())
    except ClientError as error:
        details = error.response.get("Error", {})
        raise ProvisionError(
            f"Error occurred while GetObject. S3 Error Code: {details.get('Code')}. "
            f"S3 Error Message: {details.get('Message')}"
        ) from error


def function_code_dir(
    assembly_dir: Path | None, properties: Mapping[str, Any], *, account: str, region: str, name: str
) -> Path | None:
    """Where a deployed function's code is: its asset in the stack's kept cloud assembly (the in-process
    deploy), else (no assembly: deployed through the API) the package Lambda holds."""
    if assembly_dir is not None:
        return code_asset_dir(assembly_dir, properties)
    return deployed_package_dir(account, region, name)


def deployed_package_dir(account: str, region: str, function_name: str) -> Path:
    """The code of the function as Lambda holds it, unpacked once per CodeSha256."""
    try:
        function = get_backend("lambda")[account][region].get_function(function_name)
    except Exception as error:  # moto's UnknownFunctionException and kin
        raise ProvisionError(f"the function {function_name} is not in Lambda: {error}") from error
    folder = PACKAGE_CACHE / str(function.code_sha_256).replace("/", "_").replace("+", "-")
    if folder.is_dir():
        return folder
    PACKAGE_CACHE.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=PACKAGE_CACHE, prefix=".partial-"))
    try:
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as archive:
            archive.extractall(partial)
        os.replace(partial, folder)
    except OSError:  # another engine unpacked the same package meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    except zipfile.BadZipFile as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise ProvisionError(f"the code of {function_name} is not a zip file") from error
    return folder
