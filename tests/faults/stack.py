"""A two-resource stack (a model version and its serving step) driven through CloudFormation's protocol.

``Stack`` sends the requests CloudFormation sends, in its order: create both (the serving step once the
version answered), roll back what was made when one fails or never answers (with an id of
CloudFormation's making for a Create that never answered), update the version's tags, destroy. Each
fault cell arms its fault at one of the phases; the stack records every request and what came back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from localcloud.clock import ManualClock
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.custom_resources.runner import made_up_id
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation, NoAnswer, Outcome, WaitChain
from localcloud.testing.clouds import MINUTES, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded, upload_shapes
from tests.provider_function import ATTRIBUTES_TYPE, provider

# Minutes-long phases on a clock that moves one poll interval per poll (five minutes: a 15-minute
# training is three polls, 30 minutes of throttling six).
DURATIONS = MINUTES.durations
VERSION, MODEL = "Classifier", "ClassifierAttributes"
SERVICE_TIMEOUT = 3600
POLL_MINUTES = 5


@dataclass
class World:
    cloud: LocalCloud
    clock: ManualClock
    responses: ResponseServer
    cfn: CloudFormation
    project_arn: str
    dataset: Uploaded
    watcher_inputs: list[dict[str, Any]] = field(default_factory=list)  # every watcher input fired

    def fire(self, target: Any) -> None:
        """EventBridge fires a schedule: the clock moves one interval, the function runs its input."""
        if "RequestId" not in target.input:
            self.watcher_inputs.append(target.input)
        self.cfn.fire(target)

    @property
    def rekognition(self) -> Any:
        return self.cloud.client("rekognition")

    def version_properties(self, **extra: Any) -> dict[str, Any]:
        """What the construct renders for the version (before CloudFormation stringifies it)."""
        return {
            "ProjectArn": self.project_arn,
            "VersionName": "Classifier-0123456789ab",
            "OutputConfig": {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "Classifier/"},
            "TrainingData": self.dataset.training,
            "TestingData": self.dataset.testing,
            "Tags": {"team": "vision"},
            "ServiceTimeout": SERVICE_TIMEOUT,
            **extra,
        }

    def model_properties(self, version_arn: str, **extra: Any) -> dict[str, Any]:
        return {
            "ProjectArn": self.project_arn,
            "VersionArn": version_arn,
            "VersionLogicalId": VERSION,
            "MinInferenceUnits": 1,
            "ServiceTimeout": SERVICE_TIMEOUT,
            **extra,
        }


@contextmanager
def world(certificate: CertificatePair, *, function_timeout: int = 120) -> Iterator[World]:
    with started_cloud(MINUTES) as cloud, ResponseServer(certificate) as responses:
        clock = cloud.service.clock
        assert isinstance(clock, ManualClock)
        dataset = upload_shapes(cloud.client("s3"))
        project_arn = cloud.client("rekognition").create_project(ProjectName="shapes")["ProjectArn"]
        cfn = provider(
            cloud,
            responses,
            certificate.cert_file,
            environment={"POLL_INTERVAL_MINUTES": str(POLL_MINUTES)},
            timeout_seconds=function_timeout,
        )
        yield World(cloud, clock, responses, cfn, str(project_arn), dataset)


@dataclass
class Request:
    """One CloudFormation request and what came of it."""

    kind: str
    logical_id: str
    event: dict[str, Any]
    outcome: Outcome | None  # None: never answered (CloudFormation timed out, or cancelled it)
    waited: float  # local seconds until the answer
    cancelled: bool = False

    @property
    def status(self) -> str:
        if self.cancelled:
            return "CANCELLED"
        return self.outcome.status if self.outcome else "NO ANSWER"

    @property
    def label(self) -> str:
        what = "serving step" if self.logical_id == MODEL else "version"
        return f"{self.kind} {what}"


@dataclass
class Stack:
    """The stack's life; ``arm(phase)`` runs as each phase begins: "create", "watch" (the training
    watcher), "serve", "retag", "destroy"."""

    world: World
    arm: Callable[[str], None] = lambda phase: None
    units: bool = True
    wait_seconds: int | None = None  # a wait condition of this many seconds on training (None: none)
    version_extra: dict[str, Any] = field(default_factory=dict)
    model_extra: dict[str, Any] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def cfn(self) -> CloudFormation:
        return self.world.cfn

    # -- requests -------------------------------------------------------------------------------------

    def event(
        self,
        kind: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        physical_id: str | None = None,
        old: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        resource_type = ATTRIBUTES_TYPE if logical_id == MODEL else None
        return self.cfn.event(
            kind,
            logical_id,
            properties,
            physical_id=physical_id,
            old_properties=old,
            resource_type=resource_type,
        )

    def send(self, event: dict[str, Any], *, delivered: bool = False) -> Request:
        started = self.world.clock.now()
        try:
            outcome: Outcome | None = self.cfn.send(event, delivered=delivered)
        except NoAnswer:  # nothing accepted: CloudFormation gives up at ServiceTimeout
            outcome = None
        waited = self.world.clock.now() - started
        request = Request(event["RequestType"], event["LogicalResourceId"], event, outcome, waited)
        self.requests.append(request)
        return request

    def begin(self, event: dict[str, Any], polls: int) -> Request:
        """Deliver a request and let it poll ``polls`` times, unanswered: CloudFormation then gives up
        on it (a rollback or a stack delete cancels it)."""
        self.cfn.invoke(event)
        for _ in range(polls):
            for target in self.cfn.targets():
                if target.input.get("RequestId") == event["RequestId"]:
                    self.world.fire(target)
        request = Request(event["RequestType"], event["LogicalResourceId"], event, None, 0.0, cancelled=True)
        self.requests.append(request)
        return request

    # -- the stack's operations ----------------------------------------------------------------------

    def create_version(self) -> Request:
        self.arm("create")
        extra = dict(self.version_extra)
        if self.wait_seconds is not None:
            extra["TrainingWait"] = {
                "WaitConditions": [{"LogicalId": "Wait1", "TimeoutSeconds": self.wait_seconds}]
            }
        self.properties[VERSION] = self.world.version_properties(**extra)
        return self.settle_create(self.send(self.event("Create", VERSION, self.properties[VERSION])))

    def create_model(self) -> Request:
        self.arm("serve")
        extra = {**({} if self.units else {"MinInferenceUnits": None}), **self.model_extra}
        properties = self.world.model_properties(self.physical[VERSION], **extra)
        self.properties[MODEL] = {k: v for k, v in properties.items() if v is not None}
        return self.settle_create(self.send(self.event("Create", MODEL, self.properties[MODEL])))

    def settle_create(self, request: Request) -> Request:
        """Record the physical id CloudFormation holds after a Create (its own when none came)."""
        answered = (
            request.outcome.physical_id if request.outcome else made_up_id("Example", request.logical_id)
        )
        self.physical[request.logical_id] = answered
        return request

    def wait_for_training(self) -> bool:
        """The stack's wait condition, released (or failed) by the handler's training watcher."""
        self.arm("watch")
        assert self.wait_seconds is not None
        chain = WaitChain(self.world.cloud, [("Wait1", self.wait_seconds)]).start()
        for _ in range(SERVICE_TIMEOUT // 60 // POLL_MINUTES):  # the watcher's schedule, until it is gone
            watchers = [t for t in self.cfn.targets() if "RequestId" not in t.input]
            if not watchers:
                break
            for target in watchers:
                self.world.fire(target)
        outcome = chain.join().get("Wait1", "NO SIGNAL")
        if outcome != "SUCCESS":
            reason = chain.outcomes["Wait1"].reason if "Wait1" in chain.outcomes else ""
            self.notes.append(f"wait condition {outcome} ({reason[:160]})")
        return outcome == "SUCCESS"

    def deploy(self) -> bool:
        """Create both resources; on a failure, roll back what was made. True when deployed."""
        if (
            self.create_version().status == "SUCCESS"
            and (self.wait_seconds is None or self.wait_for_training())
            and self.create_model().status == "SUCCESS"
        ):
            return True
        self.destroy(phase=None)
        return False

    def retag(self) -> bool:
        """An in-place update of the version's tags; a failure is rolled back to the old tags."""
        self.arm("retag")
        old = self.properties[VERSION]
        new = {**old, "Tags": {"stage": "prod"}}  # one tag changed, one removed
        update = self.send(self.event("Update", VERSION, new, physical_id=self.physical[VERSION], old=old))
        if update.status == "SUCCESS" and update.outcome is not None:
            self.properties[VERSION] = new
            if update.outcome.physical_id != self.physical[VERSION]:
                self.replaced(update.outcome.physical_id, old)
            return True
        self.send(self.event("Update", VERSION, old, physical_id=self.physical[VERSION], old=new))
        return False

    def replaced(self, arn: str, old_properties: dict[str, Any]) -> None:
        """The update trained a new version: the serving step follows it (its ``VersionArn`` is a Ref),
        then CloudFormation's cleanup deletes the old serving step and the old version."""
        old_version = self.physical[VERSION]
        self.physical[VERSION] = arn
        if MODEL in self.physical:
            old = self.properties[MODEL]
            new = {**old, "VersionArn": arn}
            update = self.send(self.event("Update", MODEL, new, physical_id=self.physical[MODEL], old=old))
            if update.status != "SUCCESS" or update.outcome is None:
                return
            if update.outcome.physical_id != self.physical[MODEL]:
                self.send(self.event("Delete", MODEL, old, physical_id=self.physical[MODEL]))
            self.physical[MODEL], self.properties[MODEL] = update.outcome.physical_id, new
        self.send(self.event("Delete", VERSION, old_properties, physical_id=old_version))

    def destroy(self, phase: str | None = "destroy") -> list[Request]:
        """Delete what the stack holds, serving step first; what fails to delete stays in the stack."""
        if phase:
            self.arm(phase)
        failed = []
        for logical_id in (MODEL, VERSION):
            if logical_id not in self.physical:
                continue
            properties = self.properties[logical_id]
            request = self.send(
                self.event("Delete", logical_id, properties, physical_id=self.physical[logical_id])
            )
            if request.status == "SUCCESS":
                del self.physical[logical_id]
            else:
                failed.append(request)
        return failed

    def drain(self, max_polls: int = 120) -> None:
        """EventBridge goes on firing whatever schedules are left (polls of cancelled requests,
        watchers) until none is left."""
        for _ in range(max_polls):
            targets = self.cfn.targets()
            if not targets:
                return
            for target in targets:
                self.world.fire(target)
