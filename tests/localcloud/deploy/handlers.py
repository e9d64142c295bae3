"""Handlers written to a folder and the events they get, shared by the tests of the Lambda runtime, the
ResponseURL server, EventBridge's scheduled rules and the custom-resource runner."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:project-version-handler"


def write_handler(folder: Path, source: str, name: str = "index.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))
    return folder


def quiet_env(**extra: str) -> dict[str, str]:
    """A small base environment: nothing from the test process leaks in unless named here."""
    return {"PATH": os.environ.get("PATH", ""), **extra}


def cfn_event(response_url: str, request_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": "Create",
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": response_url,
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/harness/0a1b2c3d",
        "RequestId": request_id,
        "ResourceType": "Custom::Harness",
        "LogicalResourceId": "Harness",
        "ResourceProperties": {"ServiceToken": FUNCTION_ARN, "Size": "1"},
        **extra,
    }
