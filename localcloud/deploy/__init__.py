"""Deploy a synthesized CDK app into the local cloud, as CloudFormation would."""
