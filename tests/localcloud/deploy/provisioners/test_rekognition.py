"""``AWS::Rekognition::Project`` (``rekognition.py``) through the Rekognition emulator: Ref is the
project's name, tags change in place, and a delete leaves the project DELETING until the emulator's
deletion time has passed on the clock the test moves by hand."""

from __future__ import annotations

import pytest

from localcloud.clock import ManualClock
from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for
from localcloud.testing.clouds import PROPORTIONAL

from .context import LocalContext

DURATIONS = PROPORTIONAL.durations


def test_rekognition_project_through_the_emulator(ctx: LocalContext, clock: ManualClock) -> None:
    rekognition = ctx.client("rekognition")
    project = provisioner_for("AWS::Rekognition::Project")
    assert project is not None
    old = {"ProjectName": "shapes", "Tags": [{"Key": "app", "Value": "demo"}]}
    # WHEN a project is created THEN Ref is its NAME and Arn the ARN the emulator made
    made = project.create(ctx, "Project", old)
    (described,) = rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"]
    assert made == Provisioned("shapes", {"Arn": described["ProjectArn"]})
    assert rekognition.list_tags_for_resource(ResourceArn=described["ProjectArn"])["Tags"] == {"app": "demo"}
    # AND another project of that name fails, with the emulator's error
    with pytest.raises(ProvisionError, match=r"^Rekognition project shapes: ResourceInUseException "):
        project.create(ctx, "Again", old)
    # WHEN its tags change THEN the same project is retagged; a new name would replace it
    new = {"ProjectName": "shapes", "Tags": [{"Key": "team", "Value": "vision"}]}
    assert not project.needs_replacement(old, new)
    assert project.needs_replacement(old, {**new, "ProjectName": "other"})
    assert project.update(ctx, "Project", "shapes", old, new) == made
    assert rekognition.list_tags_for_resource(ResourceArn=made.attributes["Arn"])["Tags"] == {
        "team": "vision"
    }
    # WHEN it is deleted THEN it is DELETING, and gone once the emulator's deletion time has passed
    project.delete(ctx, "shapes", new)
    (described,) = rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"]
    assert described["Status"] == "DELETING"
    project.delete(ctx, "shapes", new)
    clock.advance(DURATIONS.project_deleting + 1)
    assert rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"] == []
    # AND deleting a project that is gone is no error
    project.delete(ctx, "shapes", new)
