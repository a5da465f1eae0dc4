"""Tooling that never ships to Lambda: config, the app's manifest, reading a project,
sample events and API Gateway's authorizer emulation, shared by the CLI, the test client,
`local` and `package`.

Import rule: any runtime layer and each other; never `local` or `package`. No runtime
module imports this folder (the packager refuses one that does).
"""
