"""The example app as a user meets it: the pinned CLI, cfn-lint, cdk-nag and the assembly printout."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks

import app as example
from localcloud.cli.show import show
from localcloud.deploy.assembly import read_assembly
from tests.repository import ROOT

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"


def synth_example(outdir: Path, *, nag: bool = False) -> cdk.App:
    app = cdk.App(outdir=str(outdir))
    example.ExampleStack(app, "Example")
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return app


@pytest.fixture(scope="module")
def cli_synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`cdk synth` of app.py with the pinned CLI, offline, as `make demo` runs it."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true", "NPM_CONFIG_USERCONFIG": str(ROOT / ".npmrc")}
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--output", str(outdir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return outdir, result.stdout + result.stderr


@pytest.mark.slow
def test_pinned_cli_synthesizes_the_example_on_a_supported_node(cli_synth: tuple[Path, str]) -> None:
    # GIVEN the pinned CLI and the Node that the virtual environment brings
    outdir, output = cli_synth
    # THEN it synthesizes one stack with one model version, and nothing warns about Node's support
    (stack,) = read_assembly(outdir)
    assert list(stack.resources_of_type("Custom::RekognitionProjectVersion"))
    lowered = output.lower()
    assert "end-of-life" not in lowered and "not supported" not in lowered, output


@pytest.mark.slow
def test_example_template_passes_cfn_lint_with_no_errors(cli_synth: tuple[Path, str]) -> None:
    outdir, _ = cli_synth
    (stack,) = read_assembly(outdir)
    template = outdir / f"{stack.name}.template.json"
    result = subprocess.run(
        ["cfn-lint", "--format", "json", str(template)], capture_output=True, text=True, check=False
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], errors
    # cfn-lint's exit code is a bit mask; 2 means errors
    assert result.returncode & 2 == 0


def test_example_passes_cdk_nag_aws_solutions_with_reasoned_acknowledgements(tmp_path: Path) -> None:
    # GIVEN the example with the AwsSolutions pack as a validation plugin
    synth_example(tmp_path, nag=True)  # raises on any unacknowledged error
    # THEN the report is a success and every acknowledged finding carries a written reason
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    assert nag["suppressedViolations"], "expected the library's scoped wildcards to be acknowledged"
    for suppressed in nag["suppressedViolations"]:
        assert len(suppressed["reason"].split()) >= 8, suppressed


def test_cdk_nag_still_reports_what_nobody_acknowledged(tmp_path: Path) -> None:
    # GIVEN a stack whose output bucket finding (S1) is not acknowledged, unlike the example's
    from aws_cdk import aws_rekognition as rekognition

    from rekognition_custom_labels import ProjectVersion

    app = cdk.App(outdir=str(tmp_path), context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Bare")
    ProjectVersion(stack, "Model", project=rekognition.CfnProject(stack, "P", project_name="p"))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    # WHEN it is synthesized THEN the plugin fails it, naming the rule
    with pytest.raises(RuntimeError, match="AwsSolutions-S1"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert rules == {"AwsSolutions-S1"}


def test_two_synths_give_byte_identical_templates_and_assets(tmp_path: Path) -> None:
    # GIVEN the same sources synthesized twice into different folders
    first, second = tmp_path / "first", tmp_path / "second"
    synth_example(first)
    synth_example(second)
    # THEN the templates are the same bytes, so is the bundled asset (same hash, same files)
    assert (first / "Example.template.json").read_bytes() == (second / "Example.template.json").read_bytes()
    (stack,) = read_assembly(first)
    (function_id,) = [
        k
        for k, v in stack.resources_of_type("AWS::Lambda::Function").items()
        if str(v["Properties"].get("Runtime", "")).startswith("python")
        and v["Properties"].get("Handler") == "index.handler"  # the provider, not the example's consumer
    ]
    asset = stack.asset_dir(function_id)
    assert asset is not None
    files = sorted(str(p.relative_to(asset)) for p in asset.rglob("*") if p.is_file())
    assert "index.py" in files and "crhelper/resource_helper.py" in files
    assert not [f for f in files if f.endswith(".pyc") or f.endswith("/RECORD")]
    twin = second / asset.name
    assert sorted(str(p.relative_to(twin)) for p in twin.rglob("*") if p.is_file()) == files


def test_show_prints_each_model_version_request(tmp_path: Path) -> None:
    synth_example(tmp_path)
    printed = show(tmp_path)
    assert "Model version Classifier" in printed
    assert "s3://rekcl-example-dataset/manifests/train.manifest" in printed
    assert '"app":"rekognition-custom-labels-example"' in printed  # Tags.of reached the version
    assert "service timeout 3600 s" in printed
