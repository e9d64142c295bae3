#!/usr/bin/env python3
"""Example app: one Custom Labels project, one model version trained from S3 manifests, gated on its
F1 score and served with one inference unit, and a Lambda function that uses it.

The dataset bucket, manifest keys and names come from context with the defaults below, so the same app
deploys to an account (`cdk deploy -c dataset_bucket=my-bucket`) and to the embedded local cloud. New
training data trains a new version, which takes over from the old one without downtime.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from constructs import Construct
from rekognition_custom_labels import InferenceUnits, ProjectVersion, TestingData, TrainingData

CONSUMER_CODE = Path(__file__).resolve().parent / "lambda" / "consumer"

DEFAULTS = {
    "stack_name": "RekognitionCustomLabelsExample",
    "project_name": "rekcl-example-shapes",
    "dataset_bucket": "rekcl-example-dataset",
    "training_manifest": "manifests/train.manifest",
    "testing_manifest": "manifests/test.manifest",
    "team": "vision",
    "min_f1_score": "0.8",
}


def setting(scope: Construct, name: str) -> str:
    value = scope.node.try_get_context(name)
    return str(value) if value is not None else DEFAULTS[name]


class ExampleStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]

        def context(name: str) -> str:
            return setting(self, name)

        dataset = s3.Bucket.from_bucket_name(self, "Dataset", context("dataset_bucket"))
        project = rekognition.CfnProject(self, "Project", project_name=context("project_name"))

        classifier = ProjectVersion(
            self,
            "Classifier",
            project=project,
            training_data=TrainingData.from_manifest(dataset, context("training_manifest")),
            testing_data=TestingData.from_manifest(dataset, context("testing_manifest")),
            version_description="Shapes classifier trained by cdk deploy",
            tags={"team": context("team")},
            inference_units=InferenceUnits.fixed(1),
            min_f1_score=float(context("min_f1_score")),
        )
        consumer = self.consumer(classifier)
        cdk.Validations.of(classifier.output_bucket).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions::AwsSolutions-S1",
                reason="Only Rekognition training writes here, and CloudTrail records who started it; "
                "an access-log bucket would cost more than it tells for this example",
            )
        )
        cdk.Tags.of(self).add("app", "rekognition-custom-labels-example")

        cdk.CfnOutput(self, "ProjectVersionArn", value=classifier.project_version_arn)
        cdk.CfnOutput(self, "ConsumerFunctionName", value=consumer.function_name)
        cdk.CfnOutput(self, "ProjectVersionName", value=classifier.project_version_name)
        cdk.CfnOutput(self, "F1Score", value=classifier.f1_score)
        cdk.CfnOutput(
            self,
            "EvaluationSummary",
            value=cdk.Fn.join(
                "/",
                [
                    "s3:/",
                    classifier.evaluation_summary.bucket_name,
                    classifier.evaluation_summary.object_key,
                ],
            ),
        )

    def consumer(self, classifier: ProjectVersion) -> lambda_.Function:
        """A function that labels images with the served model (DetectCustomLabels on it only)."""
        log_group = logs.LogGroup(
            self,
            "ConsumerLogs",
            retention=logs.RetentionDays.ONE_WEEK,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        role = iam.Role(self, "ConsumerRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            "Consumer",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="detect_labels.handler",
            code=lambda_.Code.from_asset(str(CONSUMER_CODE)),
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.seconds(30),
            environment={"MODEL_VERSION_ARN": classifier.project_version_arn},
        )
        classifier.grant_detect_custom_labels(function)
        cdk.Validations.of(role).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM5",
                reason="The function writes to log streams of its own log group only; Lambda names "
                "the streams, so the grant ends in ':*' on that one group",
            )
        )
        return function


def main() -> None:
    app = cdk.App()
    ExampleStack(app, setting(app, "stack_name"))
    app.synth()


if __name__ == "__main__":
    main()
