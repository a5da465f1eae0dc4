"""Authorizers: the built-in and custom authorizers routes name, and the policies they answer.

Import rule: `_core` and each other; never `_doors`, `_events`, `_tooling`, `local`, `package`.
"""
