"""Provider of ``Custom::RekognitionProjectVersion`` (entry point ``index.handler``).

Foundation only: the train / poll / update / delete lifecycle is built in its own issue. Until then
Create and Update answer FAILED with a Reason that says so, and Delete answers SUCCESS without touching
anything, so that a stack using this provider can never be left stuck in progress.
"""

from __future__ import annotations

from typing import Any

from crhelper import CfnResource

helper = CfnResource(log_level="INFO", sleep_on_delete=0)

NOT_YET = "this provider version cannot train model versions yet (handler lifecycle not built)"


@helper.create
@helper.update
def refuse(event: dict[str, Any], context: Any) -> None:
    raise NotImplementedError(NOT_YET)


@helper.delete
def nothing_to_delete(event: dict[str, Any], context: Any) -> None:
    """Nothing was ever created by this provider version."""


def handler(event: dict[str, Any], context: Any) -> None:
    helper(event, context)
