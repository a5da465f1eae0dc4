"""The I/O-free core: routes, requests, responses, errors, CORS, middleware, the pipeline.

Import rule: modules here import the standard library and each other, nothing else of
chalicelike. They know no front door (Lambda, ASGI, test client) and no event source.
"""
