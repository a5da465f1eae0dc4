"""Event sources: the decorators' settings, typed events, event handlers, websockets.

Import rule: `_core` and each other; never `_doors`, `_auth`, `_tooling`, `local`, `package`.
"""
