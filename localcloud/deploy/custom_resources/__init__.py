"""Custom resources: CloudFormation's protocol with a provider function, and finding that function.

``runner`` sends a request as CloudFormation does and waits for the answer on the ResponseURL, firing
crhelper's polling schedules meanwhile; ``providers`` finds the Lambda function a ServiceToken names in
the deployed stacks.
"""
