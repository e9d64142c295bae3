"""cdk-nag's HIPAA Security and NIST 800-53 rev 5 packs on the example: each finding is known and the
README says why it stays (the AwsSolutions pack is clean: test_example_app.py)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from cdk_nag import HIPAASecurityChecks, NIST80053R5Checks

import app as example
from tests.repository import ROOT

OUTPUT_BUCKET = "Example/Classifier/Output/Resource"
LOG_GROUPS = ["Example/ConsumerLogs/Resource", "Example/RekognitionCustomLabelsProvider/LogGroup/Resource"]
POLICIES = [
    "Example/ConsumerRole/DefaultPolicy/Resource",
    "Example/RekognitionCustomLabelsProvider/Role/DefaultPolicy/Resource",
]
FUNCTIONS = ["Example/Consumer/Resource", "Example/RekognitionCustomLabelsProvider/Handler/Resource"]
# rule (without its pack's prefix) -> the constructs it flags; the README lists each with its reason
KNOWN_FINDINGS = {
    "S3BucketLoggingEnabled": [OUTPUT_BUCKET],
    "S3BucketReplicationEnabled": [OUTPUT_BUCKET],
    "S3BucketVersioningEnabled": [OUTPUT_BUCKET],
    "CloudWatchLogGroupEncrypted": LOG_GROUPS,
    "IAMNoInlinePolicy": POLICIES,
    "LambdaConcurrency": FUNCTIONS,
    "LambdaDLQ": FUNCTIONS,
    "LambdaInsideVPC": FUNCTIONS,
}


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[str]]]:
    """pack -> rule -> flagged construct paths, from the validation report of one synth with both packs."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    example.ExampleStack(app, "Example")
    cdk.Validations.of(app).add_plugins(HIPAASecurityChecks(app), NIST80053R5Checks(app))
    with pytest.raises(Exception, match="A copy of this report can be found"):
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    return {
        plugin["pluginName"]: {
            violation["ruleName"].split("-", 1)[1]: sorted(
                c["constructPath"] for c in violation["violatingConstructs"]
            )
            for violation in plugin["violations"]
        }
        for plugin in report["pluginReports"]
    }


@pytest.mark.parametrize("pack", ["HIPAA.Security", "NIST.800.53.R5"])
def test_each_pack_reports_only_the_findings_the_readme_explains(
    findings: dict[str, dict[str, list[str]]], pack: str
) -> None:
    # GIVEN the example synthesized under the pack WHEN its report is read
    # THEN it flags exactly the known findings, on exactly the known constructs
    assert findings[pack] == KNOWN_FINDINGS
    # AND the README's compliance table names every one of them
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### HIPAA and NIST 800-53 findings") :]
    assert all(f"`{rule}`" in section for rule in KNOWN_FINDINGS)
