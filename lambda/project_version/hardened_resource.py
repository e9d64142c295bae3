"""crhelper's CfnResource with its known traps fixed (see REFERENCE.md section 3).

- Rule names and permission statement ids: a fixed prefix plus a hash of the request, at most 64
  characters whatever the logical id, and the same on a retried invocation (so a Lambda retry reuses
  the rule instead of starting a second poller).
- AWS clients are lazy and come from the one seam (crhelper makes three at import).
- Exactly one response per invocation, retried on HTTP errors, Reason kept from its beginning, the
  PhysicalResourceId of a failed Create is the version it made (so the rollback Delete removes it).
- A step may finish at once (no rule) when there is nothing to wait for.
- ``Data`` changed by a poll is kept for the next poll (crhelper #27): the rule's target is put again
  with the changed event, so a version that got its training slot is watched, not created again.
- An Update, or a Delete of an id CloudFormation made up, stops the polls of the resource's earlier
  requests: CloudFormation sends one request per resource at a time, so it has given up on them
  (cancelled by a rollback or a stack delete).
- A timed-out first invocation removes the rule it made; a timed-out poll leaves the next poll to go on.
- No sleep before answering a Delete: logs reach CloudWatch from stdout without it.
- Logs are INFO, and the ResponseURL is never logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import aws_clients
import cfn_response_sender
from botocore.exceptions import BotoCoreError, ClientError
from crhelper import CfnResource
from poll_state import ATTRIBUTE_KEYS, PollState
from training_watch import stop_schedule

LOG = logging.getLogger(__name__)
# The response's Data: only the Fn::GetAtt attributes of what a step keeps in Data (poll_state).
ATTRIBUTES = ATTRIBUTE_KEYS
EVENTBRIDGE_NAME_MAX = 64
# How many of this function's polls ``polls_data`` reads at most (one ListTargetsByRule each).
POLLS_READ_MAX = 50
# crhelper's stubs describe its public API only; the internals overridden here are untyped.
_CrhelperBase: Any = CfnResource


Step = TypeVar("Step", bound=Callable[..., Any])


def may_supersede(event: dict[str, Any]) -> bool:
    """Whether an earlier request for this resource may still be polling: before an Update (a rollback
    after a cancelled one) or a Delete of an id that is no ARN (CloudFormation's own, after a Create it
    stopped waiting for). Checked only then: reading the polls costs two more clients per invocation."""
    if "CrHelperPoll" in event:
        return False
    kind = event.get("RequestType")
    return kind == "Update" or (
        kind == "Delete" and not str(event.get("PhysicalResourceId", "")).startswith("arn:")
    )


def each_ignoring_missing(steps: list[Callable[[], Any]]) -> None:
    """Run every step; one that finds its object already gone is no error."""
    for step in steps:
        try:
            step()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise


class HardenedResource(_CrhelperBase):  # type: ignore[misc]
    def __init__(self, *, rule_prefix: str, polling_interval: int = 1) -> None:
        # crhelper's __init__ would create lambda/events/logs clients at import; set its state ourselves
        # (test_crhelper_surface.py checks that every attribute it sets is set here too).
        self._sleep_on_delete = 0
        self._create_func = self._update_func = self._delete_func = None
        self._poll_create_func = self._poll_update_func = self._poll_delete_func = None
        self._timer: threading.Timer | None = None
        self._init_failed = None
        self._json_logging = False
        self._log_level = "INFO"
        self._boto_level = "WARNING"
        self._send_response = False
        self._polling_interval = max(1, polling_interval)
        self.Status = self.Reason = self.PhysicalResourceId = ""
        self.StackId = self.RequestId = self.LogicalResourceId = ""
        self.Data: dict[str, Any] = {}
        self.NoEcho = False
        self._event: dict[str, Any] = {}
        self._context: Any = None
        self._response_url = ""
        self._sam_local = None
        self._region = None
        self._ssl_verify = None
        self.rule_prefix = rule_prefix
        self.finish_now = False
        self._sent = False
        self._undelivered = False
        self._data_at_start = ""
        self.superseded: list[dict[str, Any]] = []  # Data of the earlier requests' polls this one stopped
        # The running step's state (index._run sets it): a timeout answers with what it holds so far.
        self.live_state: PollState | None = None

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        super().__call__(event, context)
        if self._undelivered:  # let Lambda retry the invocation rather than leave the stack waiting
            raise cfn_response_sender.ResponseNotDelivered("the response could not be delivered")

    # Typed registration (crhelper's decorators only record the function and return it); the parameter
    # names are crhelper's (tests/lambda/project_version/test_crhelper_surface.py pins them).
    def create(self, func: Step) -> Step:
        return self._register("_create_func", func)

    def update(self, func: Step) -> Step:
        return self._register("_update_func", func)

    def delete(self, func: Step) -> Step:
        return self._register("_delete_func", func)

    def poll_create(self, func: Step) -> Step:
        return self._register("_poll_create_func", func)

    def poll_update(self, func: Step) -> Step:
        return self._register("_poll_update_func", func)

    def poll_delete(self, func: Step) -> Step:
        return self._register("_poll_delete_func", func)

    def _register(self, slot: str, function: Step) -> Step:
        setattr(self, slot, function)
        return function

    @property
    def _lambda_client(self) -> Any:
        return aws_clients.lambda_()

    @property
    def _events_client(self) -> Any:
        return aws_clients.events()

    def _crhelper_init(self, event: dict[str, Any], context: Any) -> bool:
        self.finish_now = False
        self._sent = False
        self._undelivered = False
        LOG.info(
            "%s %s of %s (request %s)",
            "Poll of" if "CrHelperPoll" in event else "Received",
            event.get("RequestType"),
            event.get("LogicalResourceId"),
            event.get("RequestId"),
        )
        self.superseded = []
        if may_supersede(event):
            self._event, self._context = event, context
            try:
                self.superseded = self.cancel_superseded_polls()
            except (ClientError, BotoCoreError):
                LOG.warning("Could not stop the polls of earlier requests", exc_info=True)
        # crhelper runs the step inside _crhelper_init: remember the Data it started from first
        self._data_at_start = json.dumps(event.get("CrHelperData", {}), sort_keys=True, default=str)
        initialised: bool = super()._crhelper_init(event, context)
        return initialised

    # -- polling ------------------------------------------------------------------------------------

    def poll_name(self) -> str:
        digest = hashlib.sha256(
            f"{self._event['StackId']}|{self._event['LogicalResourceId']}|{self._event['RequestId']}".encode()
        ).hexdigest()
        return (self.rule_prefix + digest)[:EVENTBRIDGE_NAME_MAX]

    def _polling_init(self, event: dict[str, Any]) -> None:
        if "CrHelperPoll" not in event and self.finish_now and self.Status != "FAILED":
            self._send_response = True
            return
        super()._polling_init(event)
        if "CrHelperPoll" in event and not self._send_response:
            self._keep_data()

    def _keep_data(self) -> None:
        """Carry what this poll learnt into the next one: put the target again with the new Data.

        If that fails, the next poll starts from the older Data and repeats the step, which every poll
        step allows (a Create adopts the version its earlier attempt made).
        """
        if json.dumps(self.Data, sort_keys=True, default=str) == self._data_at_start:
            return
        try:
            self._put_targets(self._context.function_name)
        except (ClientError, BotoCoreError):
            LOG.warning("Could not keep this poll's data; the next poll repeats its step", exc_info=True)

    def polls_data(self) -> list[dict[str, Any]] | None:
        """The Data that each running poll of this function carries, or None when it cannot be read."""
        polls = self._polls()
        if polls is None:
            return None
        return [dict(event.get("CrHelperData") or {}) for _, event in polls if event is not None]

    def _polls(self) -> list[tuple[str, dict[str, Any] | None]] | None:
        """(rule, polling event) of each poll of this function, the event None when its rule is gone;
        None when they cannot be read.

        The function's resource policy has one statement per polling rule, named like the rule.
        """
        try:
            policy = self._lambda_client.get_policy(FunctionName=self._context.function_name)["Policy"]
            rules = [
                str(statement.get("Sid", ""))
                for statement in json.loads(policy).get("Statement", [])
                if str(statement.get("Sid", "")).startswith(self.rule_prefix)
            ]
            found: list[tuple[str, dict[str, Any] | None]] = []
            for rule in rules[:POLLS_READ_MAX]:
                try:
                    targets = self._events_client.list_targets_by_rule(Rule=rule).get("Targets", [])
                except ClientError as error:
                    if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                        raise
                    found.append((rule, None))
                    continue
                found += [(rule, dict(json.loads(target.get("Input") or "{}"))) for target in targets]
            return found
        except (ClientError, BotoCoreError, ValueError, AttributeError):
            LOG.warning("Could not read the other polls of this function", exc_info=True)
            return None

    def cancel_superseded_polls(self) -> list[dict[str, Any]]:
        """Stop the polls of earlier requests for this same resource; return the Data they carried.

        CloudFormation sends one request per resource at a time: a new one means it stopped waiting for
        any earlier one still polling (a rollback or a stack delete cancelled it, or it timed out). Left
        running, such a poll would go on training or starting a model that nothing owns any more. A
        permission whose rule is gone (deleted by hand) lets nothing in: it goes too.
        """
        event = self._event
        cancelled = []
        for rule, polled in self._polls() or []:
            if polled is None:
                LOG.info("Removing the permission of polling rule %s, which is gone", rule)
                self._remove_poll(rule)
                continue
            same_resource = (polled.get("StackId"), polled.get("LogicalResourceId")) == (
                event.get("StackId"),
                event.get("LogicalResourceId"),
            )
            if not same_resource or polled.get("RequestId") in (None, event.get("RequestId")):
                continue
            LOG.info("Stopping the poll of earlier request %s", polled["RequestId"])
            self._remove_poll(rule)
            cancelled.append(dict(polled.get("CrHelperData") or {}))
        return cancelled

    def _remove_poll(self, rule: str) -> None:
        """Target, permission and rule: the same three steps as a watcher's schedule (named alike)."""
        stop_schedule(
            self._events_client, self._lambda_client, function_name=self._context.function_name, name=rule
        )

    def _put_rule(self) -> str:
        schedule = f"rate({self._polling_interval} minute{'s' if self._polling_interval != 1 else ''})"
        response = self._events_client.put_rule(
            Name=self.poll_name(), ScheduleExpression=schedule, State="ENABLED"
        )
        return str(response["RuleArn"])

    def _add_permission(self, rule_arn: str) -> str:
        """Allow the rule to invoke this function, replacing the statement a crashed attempt left."""
        statement = self.poll_name()
        try:
            self._lambda_client.remove_permission(
                FunctionName=self._context.function_name, StatementId=statement
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
        self._lambda_client.add_permission(
            FunctionName=self._context.function_name,
            StatementId=statement,
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
        return statement

    def _remove_polling(self) -> None:
        """Remove target, permission and rule; each step runs even if an earlier one found nothing."""
        self._event.pop("CrHelperData", None)
        self.Data.pop("PhysicalResourceId", None)
        rule, permission = self._event.get("CrHelperRule"), self._event.get("CrHelperPermission")
        steps: list[Callable[[], Any]] = []
        if rule:
            steps += [lambda: self._remove_targets(rule)]
        if permission:
            steps += [lambda: self._remove_permission(permission)]
        if rule:
            steps += [lambda: self._delete_rule(rule)]
        each_ignoring_missing(steps)

    def _timeout(self) -> None:
        if "CrHelperPoll" in self._event:
            LOG.error("This poll is about to time out; the next scheduled poll carries on")
            return
        LOG.error("The invocation is about to time out; answering FAILED")
        if self.live_state is not None:  # the step runs on: its state so far names the version it made
            self.live_state.save_to(self.Data)
        if "CrHelperRule" in self._event:
            self._remove_polling()
        self._send("FAILED", "The provider Lambda timed out before it could finish this step")

    def _wait_for_cwlogs(self, sleep: Any = None) -> None:
        return None

    # -- the response -------------------------------------------------------------------------------

    def _cfn_response(self, event: dict[str, Any]) -> None:
        if self.Status == "FAILED" or self.PhysicalResourceId in ("", None, True):
            self.PhysicalResourceId = self._fallback_physical_id(event)
        self._send()

    def _fallback_physical_id(self, event: dict[str, Any]) -> str:
        if event["RequestType"] != "Create":
            return str(event["PhysicalResourceId"])
        arn = PollState.from_data(self.Data).arn
        return arn if arn else f"not-created:{event['LogicalResourceId']}"[:1024]

    def _send(self, status: str | None = None, reason: str = "", send_response: Any = None) -> None:
        if self._sent:
            LOG.info("A response was already sent for this invocation")
            return
        self._sent = True
        body = {
            "Status": status or self.Status,
            "Reason": reason if status else str(self.Reason),
            "PhysicalResourceId": str(self.PhysicalResourceId or self._fallback_physical_id(self._event)),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            "Data": {key: str(self.Data[key]) for key in ATTRIBUTES if key in self.Data},
            "NoEcho": False,
        }
        if body["Status"] == "FAILED":
            LOG.error("Answering FAILED: %s", body["Reason"])
        try:
            cfn_response_sender.put(self._response_url, body)
        except cfn_response_sender.ResponseNotDelivered:
            LOG.exception("The response was not delivered")
            self._undelivered = True
