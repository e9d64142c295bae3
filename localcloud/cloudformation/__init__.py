"""CloudFormation's API, served from the local deploy engine for the unmodified CDK CLI."""
