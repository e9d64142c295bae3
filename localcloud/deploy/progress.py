"""The lines a deploy prints between a model version's stack events, as a console would show its status.

- At each poll of a model version's custom resource (the version's own Create, Update or Delete, and the
  attributes resource while it gates and starts the model): the version's status, or, when
  DescribeProjectVersions does not list it, what that means for the request: a Create or Update still
  waiting for a training slot, a Delete that is done.
- While the stack's wait conditions hold a training (the provider's watcher polls from a schedule of its
  own, and no stack event comes for hours): the status and how long it has trained, at 10, 20, ... 60
  minutes and then every hour, not at every poll (a training of 24 hours is 29 lines).

Progress is informative only: a call that fails prints nothing.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ..clock import Clock
from .stack_events import Printer

# The provider's training watcher: the key of its schedule's Input (see lambda/project_version).
WATCH_KEY = "RekognitionCustomLabelsTrainingWatch"
FIRST_HOUR_STEP, LATER_STEP = 600, 3600


def training_mark(seconds: float) -> int:
    """How many progress marks (every 10 minutes in the first hour, then every hour) ``seconds`` passed."""
    if seconds < 3600:
        return int(seconds // FIRST_HOUR_STEP)
    return 6 + int((seconds - 3600) // LATER_STEP)


def duration_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


class Progress:
    """The progress lines of one engine: ``poll`` for a custom resource's polls, ``watched`` for the
    training watcher's. The training marks are the watcher's own log cadence
    (``lambda/project_version/training_watch.py``), written twice because neither side may import the
    other: the handler is a Lambda asset, the local cloud a separate package."""

    def __init__(
        self, printer: Printer, rekognition: Callable[[], Any], clock: Clock, *, enabled: bool
    ) -> None:
        self.printer, self.rekognition, self.clock, self.enabled = printer, rekognition, clock, enabled
        self._marks: dict[str, int] = {}  # version ARN -> the last training mark printed
        self._lock = threading.Lock()

    def poll(self, logical_id: str, properties: Mapping[str, Any], request_type: str) -> None:
        """A poll of ``logical_id``'s request: what its model version is doing."""
        project, name = properties.get("ProjectArn"), properties.get("VersionName")
        version_arn = properties.get("VersionArn")
        if not name and isinstance(version_arn, str) and version_arn.count("/") >= 4:  # gating, serving
            name = version_arn.split("/")[3]
        if not self.enabled or not isinstance(project, str) or not isinstance(name, str):
            return
        listed = self._listed(project, name)
        if listed is None:
            return
        if listed:
            self.printer.note(f"{logical_id}: model version {name} is {listed[0]['Status']}")
            return
        looked = f"DescribeProjectVersions lists no {name} in project {project.split('/')[1]}"
        if request_type == "Delete":
            self.printer.note(f"{logical_id}: model version {name} is deleted ({looked})")
        else:
            waiting = f"{looked}: it waits for a training slot"
            self.printer.note(f"{logical_id}: model version {name} is not created yet ({waiting})")

    def watched(self, event: Mapping[str, Any]) -> None:
        """A poll of the provider's training watcher (other schedules are not ours to describe)."""
        watch = event.get(WATCH_KEY)
        if not self.enabled or not isinstance(watch, dict):
            return
        listed = self._listed(str(watch.get("project_arn")), str(watch.get("version_name")))
        if not listed or listed[0].get("Status") != "TRAINING_IN_PROGRESS":
            return
        version = listed[0]
        created = version.get("CreationTimestamp")
        if not isinstance(created, datetime.datetime):
            return
        elapsed = self.clock.now() - created.timestamp()
        mark = training_mark(elapsed)
        with self._lock:
            if mark <= self._marks.get(version["ProjectVersionArn"], 0):
                return
            self._marks[version["ProjectVersionArn"]] = mark
        waits, signalled = watch.get("waits") or [], int(watch.get("signalled", 0))
        holder = waits[min(signalled, len(waits) - 1)][0] if waits else str(watch.get("logical_id"))
        self.printer.note(
            f"{holder}: model version {watch.get('version_name')} is TRAINING_IN_PROGRESS, trained for "
            f"{duration_text(elapsed)}"
        )

    def _listed(self, project: str, name: str) -> list[dict[str, Any]] | None:
        """DescribeProjectVersions of the one version: [] when it is not listed, None when the call failed."""
        try:
            answer = self.rekognition().describe_project_versions(ProjectArn=project, VersionNames=[name])
        except Exception:  # progress is informative only
            return None
        found: list[dict[str, Any]] = answer["ProjectVersionDescriptions"]
        return found
