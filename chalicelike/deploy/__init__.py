"""`chalicelike deploy` and its companions (delete, url, logs, remote invoke, versions,
rollback): the stage's CloudFormation stack, its versions and aliases, through boto3.

Tooling only: nothing here is imported on the Lambda path.
"""
