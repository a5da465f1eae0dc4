"""The front doors: Lambda's HTTP events, ASGI, and hosted ASGI/WSGI apps (through Mangum).

Import rule: `_core` and each other; never `_events`, `_auth`, `_tooling`, `local`, `package`.
A door only turns its input into a request and the checked answer into its output.
"""
