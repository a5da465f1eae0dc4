"""`chalicelike local`: API Gateway and Lambda on a laptop. Never imported on the Lambda path.

The gateway (`_gateway`) turns HTTP into API Gateway events; the local Lambda (`_pool`)
runs each function in worker processes that speak Lambda's Runtime API (`_runtime_api`);
`_invocation` holds the contract between them. docs/local.md tells the story.
"""
