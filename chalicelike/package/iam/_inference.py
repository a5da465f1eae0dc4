"""What each expression of the app may hold: boto3 entry points, clients and resources by
service, the app's own functions, classes and modules. Flow-insensitive (every binding of a
name counts); arguments passed to the app's own functions are followed into them."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._actions import Member, collection_member, resource_member

if TYPE_CHECKING:
    from ._calls import Scope, SourceModule

__all__ = [
    "AWS_VALUES",
    "Analysis",
    "Boto3",
    "Client",
    "Resource",
    "argument",
    "assignments",
    "callee",
]


@dataclass(frozen=True)
class Boto3:
    """boto3 itself or one of its entry points: 'boto3', 'session', 'client', 'resource',
    'Session', or 'session-object' (a Session instance)."""

    name: str


@dataclass(frozen=True)
class Client:
    service: str


@dataclass(frozen=True)
class Resource:
    service: str
    type: str  # 'ServiceResource' for boto3.resource(...) itself


@dataclass(frozen=True)
class Factory:  # a sub-resource constructor: dynamodb.Table
    service: str
    type: str


@dataclass(frozen=True)
class Collection:
    service: str
    item_type: str


@dataclass(frozen=True)
class Meta:  # resource.meta, whose .client is the resource's client
    service: str


@dataclass(frozen=True)
class Method:  # a member of a client, resource or collection, not yet called
    owner: Client | Resource | Collection
    name: str


@dataclass(frozen=True)
class Code:
    """One of the app's own functions, classes, instances or modules."""

    kind: str  # 'function', 'class', 'instance', 'module'
    module: str
    node: ast.AST | None = None


Value = Boto3 | Client | Resource | Factory | Collection | Meta | Method | Code
AWS_VALUES = (Client, Resource, Collection)  # what holds AWS permissions

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class Analysis:
    """Infers values; `run` first follows arguments into the app's functions to a fixpoint."""

    def __init__(self, modules: dict[str, SourceModule]) -> None:
        self.modules = modules
        # (function node, parameter) → the values the app's calls pass to it
        self.arguments: dict[tuple[ast.AST, str], set[Value]] = {}
        self._cache: dict[int, frozenset[Value]] = {}
        self._busy: set[int] = set()

    def run(self) -> None:
        # Arguments flow into functions, whose results flow on: repeat until nothing new.
        for _ in range(5):
            before = sum(len(values) for values in self.arguments.values())
            self._cache.clear()
            for module, node in self.nodes(ast.Call):
                assert isinstance(node, ast.Call)  # nodes() yields only the kind asked for
                self._bind_arguments(module, node)
            if sum(len(values) for values in self.arguments.values()) == before:
                break
        self._cache.clear()

    def nodes(self, kind: type[ast.AST]) -> Iterator[tuple[SourceModule, ast.AST]]:
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if isinstance(node, kind):
                    yield module, node

    # -- inference -------------------------------------------------------------------

    def infer(self, module: SourceModule, node: ast.AST) -> frozenset[Value]:
        key = id(node)
        if key in self._cache:
            return self._cache[key]
        if key in self._busy:
            return frozenset()  # a cycle (x = f(x)): what is known so far
        self._busy.add(key)
        try:
            result = frozenset(self._infer(module, node))
        finally:
            self._busy.discard(key)
        self._cache[key] = result
        return result

    def _infer(self, module: SourceModule, node: ast.AST) -> Iterator[Value]:
        if isinstance(node, ast.Name):
            yield from self._lookup(module, module.scope_of(node), node.id)
        elif isinstance(node, ast.Attribute):
            for value in self.infer(module, node.value):
                yield from self._member(value, node.attr)
        elif isinstance(node, ast.Call):
            for value in self.infer(module, node.func):
                yield from self._call(module, value, node)
        elif isinstance(node, (ast.Await, ast.NamedExpr)):
            yield from self.infer(module, node.value)
        elif isinstance(node, ast.IfExp):
            yield from self.infer(module, node.body) | self.infer(module, node.orelse)
        elif isinstance(node, ast.BoolOp):
            for operand in node.values:
                yield from self.infer(module, operand)

    def _lookup(self, module: SourceModule, scope: Scope, name: str) -> Iterator[Value]:
        while True:
            if isinstance(scope, (*_FUNCTIONS, ast.Lambda)) and name in _parameters(scope):
                yield from self._parameter(module, scope, name)
                return
            bindings = module.bindings[scope].get(name)
            if bindings:
                for how, node in bindings:
                    yield from self._binding(module, scope, how, node)
                return
            if scope is module.tree:
                return
            inner, scope = scope, module.scope_of(scope)
            while isinstance(scope, ast.ClassDef) and not isinstance(inner, ast.ClassDef):
                scope = module.scope_of(scope)  # a method does not see its class's names

    def _parameter(self, module: SourceModule, function: ast.AST, name: str) -> Iterator[Value]:
        yield from self.arguments.get((function, name), ())
        owner = module.scope_of(function)
        if isinstance(owner, ast.ClassDef) and isinstance(function, _FUNCTIONS):
            decorators = {d.id for d in function.decorator_list if isinstance(d, ast.Name)}
            if "staticmethod" not in decorators and _parameters(function)[:1] == [name]:
                kind = "class" if "classmethod" in decorators else "instance"
                yield Code(kind, module.name, owner)

    def _binding(
        self, module: SourceModule, scope: Scope, how: str, node: ast.AST
    ) -> Iterator[Value]:
        if how == "value":
            yield from self.infer(module, node)
        elif how == "item":  # for x in bucket.objects.all(): x is an item of the collection
            for value in self.infer(module, node):
                if isinstance(value, Collection):
                    yield Resource(value.service, value.item_type)
        elif how == "def":
            yield Code("class" if isinstance(node, ast.ClassDef) else "function", module.name, node)
        elif how == "import" and isinstance(node, ast.alias):
            yield from self._import(module, node)

    def _import(self, module: SourceModule, alias: ast.alias) -> Iterator[Value]:
        statement = module.parents[alias]
        if isinstance(statement, ast.Import):
            target = alias.name if alias.asname else alias.name.split(".")[0]
            yield from self._module_value(target)
            return
        assert isinstance(statement, ast.ImportFrom)  # an alias's parent is an import
        base = _absolute(module, statement)
        if base in ("boto3", "boto3.session"):
            if alias.name in ("client", "resource", "Session", "session"):
                yield Boto3(alias.name)
            return
        source = self.modules.get(base)
        found = list(self._lookup(source, source.tree, alias.name)) if source else []
        yield from found or self._module_value(f"{base}.{alias.name}")

    def _module_value(self, target: str) -> Iterator[Value]:
        if target == "boto3" or target.startswith("boto3."):
            yield Boto3("boto3")
        elif any(name == target or name.startswith(target + ".") for name in self.modules):
            yield Code("module", target)

    def _member(self, value: Value, name: str) -> Iterator[Value]:
        if isinstance(value, Boto3):
            entry = {
                "boto3": ("client", "resource", "Session", "session"),
                "session": ("Session",),
                "session-object": ("client", "resource"),
            }
            if name in entry.get(value.name, ()):
                yield Boto3(name)
        elif isinstance(value, (Client, Collection)):
            yield Method(value, name)
        elif isinstance(value, Resource):
            yield from self._resource_member(value, name)
        elif isinstance(value, Meta) and name == "client":
            yield Client(value.service)
        elif isinstance(value, Code):
            yield from self._code_member(value, name)

    def _resource_member(self, value: Resource, name: str) -> Iterator[Value]:
        member = resource_member(value.service, value.type, name)
        if member is None or member.kind == Member.CALL:
            yield Method(value, name)
        elif member.kind == Member.SUBRESOURCE:
            # bucket.Object(key) constructs one; instance.vpc (a reference) already is one
            yield (
                Factory(value.service, member.type)
                if name[:1].isupper()
                else Resource(value.service, member.type)
            )
        elif member.kind == Member.COLLECTION:
            yield Collection(value.service, member.type)
        elif name == "meta":
            yield Meta(value.service)

    def _code_member(self, value: Code, name: str) -> Iterator[Value]:
        if value.kind == "module":
            module = self.modules.get(value.module)
            found = list(self._lookup(module, module.tree, name)) if module else []
            yield from found or self._module_value(f"{value.module}.{name}")
            return
        if value.kind not in ("class", "instance") or not isinstance(value.node, ast.ClassDef):
            return
        module = self.modules[value.module]
        for how, node in module.bindings[value.node].get(name, []):
            if how == "def" and isinstance(node, _FUNCTIONS):
                yield Code("method", value.module, node)
            else:
                yield from self._binding(module, value.node, how, node)
        for method in value.node.body:  # self.name = ... in any method
            if isinstance(method, _FUNCTIONS) and _parameters(method):
                this = _parameters(method)[0]
                for node in ast.walk(method):
                    for target, assigned in assignments(node):
                        if _is_attribute_of(target, this, name):
                            yield from self.infer(module, assigned)

    def _call(self, module: SourceModule, value: Value, call: ast.Call) -> Iterator[Value]:
        if isinstance(value, Boto3):
            if value.name in ("client", "resource"):
                service = self.literal(module, argument(call, 0, "service_name"))
                if service is not None:
                    yield (
                        Client(service)
                        if value.name == "client"
                        else Resource(service, "ServiceResource")
                    )
            elif value.name == "Session":
                yield Boto3("session-object")
        elif isinstance(value, Factory):
            yield Resource(value.service, value.type)
        elif isinstance(value, Method) and isinstance(value.owner, Collection):
            member = collection_member(value.owner.service, value.owner.item_type, value.name)
            if member is not None and member.kind == Member.COLLECTION:
                yield value.owner
        elif isinstance(value, Code) and value.kind in ("function", "method"):
            function_module = self.modules[value.module]
            assert value.node is not None  # functions and methods always carry their node
            for node in _own_nodes(value.node):
                if isinstance(node, ast.Return) and node.value is not None:
                    yield from self.infer(function_module, node.value)
        elif isinstance(value, Code) and value.kind == "class":
            yield Code("instance", value.module, value.node)

    def _bind_arguments(self, module: SourceModule, call: ast.Call) -> None:
        """Values passed to the app's own functions become their parameters' values."""
        for value in self.infer(module, call.func):
            target = callee(self.modules, value)
            if target is None:
                continue
            function, skip_first = target
            names = _parameters(function, positional=True)[1 if skip_first else 0 :]
            passed = [(names[i], arg) for i, arg in enumerate(call.args[: len(names)])]
            passed += [(k.arg, k.value) for k in call.keywords if k.arg in _parameters(function)]
            for name, argument in passed:
                if isinstance(argument, ast.Starred):
                    break
                found = {
                    v for v in self.infer(module, argument) if isinstance(v, (*AWS_VALUES, Boto3))
                }
                if found:
                    self.arguments.setdefault((function, name), set()).update(found)

    def literal(self, module: SourceModule, node: ast.AST | None) -> str | None:
        """A string constant, or a module-level name bound only to one ('s3', SERVICE)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            bindings = module.bindings[module.tree].get(node.id, [])
            values = {self.literal(module, n) for how, n in bindings if how == "value"}
            if len(values) == 1:
                return values.pop()
        return None


# -- syntax helpers ---------------------------------------------------------------------------


def _parameters(function: ast.AST, positional: bool = False) -> list[str]:
    arguments = getattr(function, "args", None)
    if not isinstance(arguments, ast.arguments):
        return []
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if not positional:
        names += [a.arg for a in arguments.kwonlyargs]
    return names


def _absolute(module: SourceModule, statement: ast.ImportFrom) -> str:
    """The module an import names, relative imports resolved against the importing package."""
    if not statement.level:
        return statement.module or ""
    package = module.name.split(".") if module.package else module.name.split(".")[:-1]
    base = package[: len(package) - (statement.level - 1)]
    return ".".join([*base, statement.module] if statement.module else base)


def argument(call: ast.Call, position: int, keyword: str) -> ast.AST | None:
    if len(call.args) > position and not isinstance(call.args[position], ast.Starred):
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function body, not those of functions or classes nested in it."""
    pending = list(ast.iter_child_nodes(scope))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
            pending.extend(ast.iter_child_nodes(node))


def assignments(node: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """(target, value) pairs an assignment statement makes."""
    if isinstance(node, ast.Assign):
        return [(target, node.value) for target in node.targets]
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
        return [(node.target, node.value)]
    if isinstance(node, ast.IfExp):  # its branches flow wherever the expression goes
        return [(node, node.body), (node, node.orelse)]
    return []


def _is_attribute_of(target: ast.AST, owner: str, name: str) -> bool:
    return (
        isinstance(target, ast.Attribute)
        and target.attr == name
        and isinstance(target.value, ast.Name)
        and target.value.id == owner
    )


def callee(modules: dict[str, SourceModule], value: Value) -> tuple[ast.AST, bool] | None:
    """The app's function a call runs, and whether its first parameter is the instance."""
    if not isinstance(value, Code) or value.node is None:
        return None
    if value.kind == "function":
        return value.node, False
    if value.kind == "method":
        return value.node, True
    if value.kind == "class":
        for how, node in modules[value.module].bindings[value.node].get("__init__", []):
            if how == "def":
                return node, True
    return None
