"""Observability on Lambda: X-Ray tracing, JSON logs and EMF metrics, per invocation.

Import rule: the standard library, `_core` and each other; `aws_xray_sdk` only inside
`_tracing`, when tracing is on (CHALICELIKE_XRAY=true). Never `_doors`, `_events`, `_auth`,
`_tooling`, `local`, `package`. The app imports this layer only when a feature is on or
`app.tracer` / `app.metrics` is used: an app with all of it off imports none of it.
"""
