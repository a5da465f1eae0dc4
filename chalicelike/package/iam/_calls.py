"""The boto3 calls an app makes, found by reading app.py and chalicelib/ (never importing them),
as IAM actions by service; a client that escapes where it cannot be followed (a library, a
container) is noted, and its service gets service:*. The inference is `_iam_inference`."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..._tooling._project import app_sources
from ._actions import (
    client_call_actions,
    collection_member,
    resource_member,
    service_model,
    service_wildcard,
)
from ._inference import (
    AWS_VALUES,
    Analysis,
    Boto3,
    Client,
    Resource,
    argument,
    assignments,
    callee,
)

__all__ = ["Scope", "SourceModule", "Usage", "find_boto3_usage"]

Scope = ast.AST  # a Module, FunctionDef, AsyncFunctionDef, Lambda or ClassDef node

# Client methods whose first argument names the call they make.
_ARGUMENT_OF = {
    "get_paginator": "operation_name",
    "get_waiter": "waiter_name",
    "generate_presigned_url": "ClientMethod",
}
# Callees that neither keep nor use a client handed to them (builtins that iterate a
# collection, whose listing is already counted; logging).
_HARMLESS_CALLS = frozenset(
    {
        "isinstance",
        "print",
        "repr",
        "str",
        "id",
        "type",
        "hasattr",
        "len",
        "list",
        "tuple",
        "set",
        "sorted",
        "iter",
        "next",
        "enumerate",
        "zip",
        "any",
        "all",
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "critical",
    }
)


@dataclass
class Usage:
    """The app's boto3 use: IAM actions by service, and notes on what could not be followed."""

    actions: dict[str, set[str]] = field(default_factory=dict)
    unresolved: dict[str | None, list[str]] = field(default_factory=dict)  # service → notes

    def add(self, service: str, actions: list[str]) -> None:
        self.actions.setdefault(service, set()).update(actions)

    def note(self, service: str | None, note: str) -> None:
        notes = self.unresolved.setdefault(service, [])
        if note not in notes:
            notes.append(note)


def find_boto3_usage(project_dir: Path) -> Usage:
    """Read app.py and every .py under chalicelib/ and report their boto3 usage."""
    files = app_sources(project_dir)
    modules: dict[str, SourceModule] = {}
    usage = Usage()
    for path in files:
        if not path.is_file():
            continue
        relative = path.relative_to(project_dir)
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), str(relative))
        except (SyntaxError, UnicodeDecodeError, ValueError) as error:
            usage.note(None, f"{relative}: not read ({error}); add the permissions it needs")
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        modules[name] = SourceModule(name, str(relative), tree, path.name == "__init__.py")
    _Recorder(modules, usage).run()
    return usage


class SourceModule:
    def __init__(self, name: str, path: str, tree: ast.Module, package: bool) -> None:
        self.name, self.path, self.tree, self.package = name, path, tree, package
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        # Per scope, name → how it is bound: ('value', expr), ('item', iterable),
        # ('import', alias), ('def', node). Flow-insensitive: every binding counts.
        self.bindings: dict[Scope, dict[str, list[tuple[str, ast.AST]]]] = {}
        for scope in [tree, *_scopes(tree)]:
            self.bindings[scope] = _bindings(scope)

    def scope_of(self, node: ast.AST) -> Scope:
        parent = self.parents.get(node)
        while parent is not None and not isinstance(parent, _SCOPE_TYPES):
            parent = self.parents.get(parent)
        return parent if parent is not None else self.tree


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPE_TYPES = (*_FUNCTIONS, ast.Lambda, ast.ClassDef, ast.Module)


def _scopes(tree: ast.AST) -> Iterator[ast.AST]:
    return (node for node in ast.walk(tree) if isinstance(node, _SCOPE_TYPES[:-1]))


def _bindings(scope: ast.AST) -> dict[str, list[tuple[str, ast.AST]]]:
    """The names bound directly in `scope`; nested scopes are indexed on their own."""
    found: dict[str, list[tuple[str, ast.AST]]] = {}

    def bind(target: ast.AST, how: str, node: ast.AST) -> None:
        if isinstance(target, ast.Name):
            found.setdefault(target.id, []).append((how, node))

    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            found.setdefault(node.name, []).append(("def", node))
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, "value", node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            bind(node.target, "value", node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bind(node.target, "item", node.iter)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bind(node.optional_vars, "value", node.context_expr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                found.setdefault((alias.asname or alias.name).split(".")[0], []).append(
                    ("import", alias)
                )
        pending.extend(ast.iter_child_nodes(node))
    return found


class _Recorder:
    """The usage pass: every member used on a client, resource or collection becomes IAM
    actions; every service name we cannot read, or client we cannot follow, a note."""

    def __init__(self, modules: dict[str, SourceModule], usage: Usage) -> None:
        self.analysis = Analysis(modules)
        self.modules = modules
        self.usage = usage

    def run(self) -> None:
        self.analysis.run()
        for module, node in self.analysis.nodes(ast.expr):
            if isinstance(node, ast.Attribute):
                self._record_member(module, node)
            if isinstance(node, ast.Call):
                self._check_service_name(module, node)
            if isinstance(node, ast.Call) or isinstance(getattr(node, "ctx", None), ast.Load):
                self._check_escape(module, node)

    def infer(self, module: SourceModule, node: ast.AST) -> frozenset[object]:
        return frozenset(self.analysis.infer(module, node))

    def _record_member(self, module: SourceModule, node: ast.Attribute) -> None:
        for value in self.infer(module, node.value):
            if not isinstance(value, AWS_VALUES):
                continue
            where = _where(module, node)
            actions: list[str] | None
            if isinstance(value, Client):
                name = None
                if node.attr in _ARGUMENT_OF:
                    call = module.parents.get(node)
                    if isinstance(call, ast.Call) and call.func is node:
                        named = argument(call, 0, _ARGUMENT_OF[node.attr])
                        name = self.analysis.literal(module, named)
                    if name is None:
                        self._widen(
                            value.service,
                            f"{where}: {node.attr}() with a name that is not a literal string",
                        )
                        continue
                actions = client_call_actions(value.service, node.attr, name)
            elif isinstance(value, Resource):
                member = resource_member(value.service, value.type, node.attr)
                actions = None if member is None else member.actions
            else:
                member = collection_member(value.service, value.item_type, node.attr)
                actions = None if member is None else member.actions
            if actions is None:
                self._widen(
                    value.service,
                    f"{where}: {node.attr} is unknown to boto3's model of {value.service}",
                )
            else:
                self.usage.add(value.service, actions)

    def _check_service_name(self, module: SourceModule, call: ast.Call) -> None:
        for value in self.infer(module, call.func):
            if isinstance(value, Boto3) and value.name in ("client", "resource"):
                service = self.analysis.literal(module, argument(call, 0, "service_name"))
                if service is None:
                    self.usage.note(
                        None,
                        f"{_where(module, call)}: boto3.{value.name}() with a "
                        "service name that is not a literal string: add what it "
                        "needs to the policy",
                    )
                elif service_model(service) is None:
                    self.usage.note(
                        None, f"{_where(module, call)}: boto3 has no service {service!r}"
                    )

    def _check_escape(self, module: SourceModule, node: ast.AST) -> None:
        """A client handed to code we do not read (a library, a container) is not followed:
        its service gets service:* and the review file says where."""
        values = [v for v in self.infer(module, node) if isinstance(v, AWS_VALUES)]
        if not values or self._followed(module, node):
            return
        for value in values:
            self._widen(
                value.service,
                f"{_where(module, node)}: a {value.service} "
                f"{type(value).__name__.lower()} is used where it cannot be followed",
            )

    def _followed(self, module: SourceModule, node: ast.AST) -> bool:
        """Whether the inference sees where this value goes next."""
        parent = module.parents.get(node)
        if isinstance(parent, ast.keyword):
            node, parent = parent, module.parents.get(parent)
        if isinstance(parent, (ast.Attribute, ast.Expr, ast.withitem)):
            return True  # a member used, a bare expression, a `with ... as name`
        if isinstance(parent, (ast.Compare, ast.UnaryOp, ast.If, ast.While, ast.Assert)):
            return True  # tested, not kept
        if isinstance(parent, (ast.BoolOp, ast.IfExp, ast.Await)):
            return self._followed(module, parent)  # goes wherever the expression goes
        if isinstance(parent, ast.Return):
            return not isinstance(module.scope_of(parent), ast.Module)  # a function's result
        if isinstance(parent, (ast.For, ast.AsyncFor, ast.comprehension)):
            return parent.iter is node
        if isinstance(parent, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            return all(_trackable(module, t) for t, v in assignments(parent) if v is node)
        if isinstance(parent, ast.Call) and parent.func is not node:
            function = parent.func
            name = function.attr if isinstance(function, ast.Attribute) else ""
            name = function.id if isinstance(function, ast.Name) else name
            if name in _HARMLESS_CALLS:
                return True
            targets = self.analysis.infer(module, function)
            return bool(targets) and all(callee(self.modules, t) for t in targets)
        return False

    def _widen(self, service: str, note: str) -> None:
        self.usage.note(service, note)
        self.usage.add(service, [service_wildcard(service)])


def _trackable(module: SourceModule, target: ast.AST) -> bool:
    """A name, or an attribute of a method's `self`: places the inference reads back."""
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        scope = module.scope_of(target)
        first = getattr(getattr(scope, "args", None), "args", [])[:1]
        owner = module.scope_of(scope)
        return isinstance(owner, ast.ClassDef) and [a.arg for a in first] == [target.value.id]
    return False


def _where(module: SourceModule, node: ast.AST) -> str:
    return f"{module.path}:{getattr(node, 'lineno', 0)}"
