"""API contracts: what a view or an event handler declares it takes and returns (type hints,
dataclasses, TypedDicts, pydantic models), checked before it runs. Imported only by apps
whose views or handlers declare types: an app without them never loads this package."""
