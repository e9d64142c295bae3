"""The provider Lambda's entry point (``index.handler``): one function for three kinds of event.

- ``Custom::RekognitionProjectVersion`` (``model_version``): trains a model version; with
  ``TrainingWait`` it answers once training has started and hands over to the training watcher.
- ``Custom::RekognitionProjectVersionAttributes`` (``deployed_model``): reads a trained version's
  attributes once the stack's waits are over, holds it to its F1 gate and starts it.
- The training watcher's scheduled events (``WATCH_KEY``, ``watching``): no CloudFormation request.

crhelper allows one function per step, so the six registered here only dispatch: each picks the
``Provider`` of the event's ``ResourceType``, reads the request's ``PollState`` from ``helper.Data``,
runs the step with the helper passed explicitly (the resource modules use no global) and writes the
state back, even when the step raised (a failed Create's answer names the version recorded in it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import deployed_model
import model_version
import watching
from deadlines import POLL_INTERVAL_MINUTES
from hardened_resource import HardenedResource
from poll_state import PollState
from resource_provider import Provider, Session
from training_watch import WATCH_KEY

helper = HardenedResource(
    rule_prefix=os.environ.get("POLL_RULE_PREFIX", "RekCL-poll-"), polling_interval=POLL_INTERVAL_MINUTES
)
Answer = TypeVar("Answer")  # a first step's physical id (str), or a poll's (str | None)
PROVIDERS: dict[str, Provider] = {
    provider.resource_type: provider for provider in (model_version.PROVIDER, deployed_model.PROVIDER)
}


def handler(event: dict[str, Any], context: Any) -> None:
    if WATCH_KEY in event:  # the training watcher's schedule, not a CloudFormation request
        watching.on_watch(event, context, helper.rule_prefix)
        return
    helper(event, context)


def provider_of(event: dict[str, Any]) -> Provider:
    """The event's resource type's provider; any other type is a model version, as it always was."""
    return PROVIDERS.get(str(event.get("ResourceType")), model_version.PROVIDER)


def _run(
    step: Callable[[dict[str, Any], Any, PollState, Session], Answer], event: dict[str, Any], context: Any
) -> Answer:
    state = PollState.from_data(helper.Data)
    helper.live_state = state  # read by crhelper's timeout timer while the step still runs
    try:
        return step(event, context, state, helper)
    finally:
        helper.live_state = None
        state.save_to(helper.Data)


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    return _run(provider_of(event).create, event, context)


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    return _run(provider_of(event).update, event, context)


@helper.delete
def delete(event: dict[str, Any], context: Any) -> str:
    return _run(provider_of(event).delete, event, context)


@helper.poll_create
def poll_create(event: dict[str, Any], context: Any) -> str | None:
    return _run(provider_of(event).poll_create, event, context)


@helper.poll_update
def poll_update(event: dict[str, Any], context: Any) -> str | None:
    return _run(provider_of(event).poll_update, event, context)


@helper.poll_delete
def poll_delete(event: dict[str, Any], context: Any) -> str | None:
    return _run(provider_of(event).poll_delete, event, context)
