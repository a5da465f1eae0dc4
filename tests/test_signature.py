"""Reading a view's hints into its contract: where each parameter comes from, and which views
keep Chalice's plain call (no contract at all)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
import pytest

from chalicelike import Body, Chalice, Header, Path, Query, RegistrationError, Response
from chalicelike._contracts._params import ParamLocation
from chalicelike._contracts._signature import contract_for
from chalicelike._contracts._view_contract import ViewContract

if TYPE_CHECKING:
    from decimal import Decimal  # only for the checker: unresolvable at run time


@dataclasses.dataclass
class Order:
    sku: str


class PydanticOrder(pydantic.BaseModel):
    sku: str


def contract(view: Any, path_params: tuple[str, ...] = ()) -> ViewContract | None:
    return contract_for(view, list(path_params), view.__name__)


def where(found: ViewContract | None) -> dict[str, tuple[str, str]]:
    assert found is not None
    specs = [*found.params, *([found.body] if found.body else [])]
    return {spec.name: (spec.location.value, spec.key) for spec in specs}


def test_a_view_without_hints_has_no_contract() -> None:
    def view(order_id): ...

    assert contract(view, ("order_id",)) is None


def test_chalice_style_hints_declare_nothing() -> None:
    def view(order_id: str) -> dict[str, Any]:
        return {}

    def plain(order_id: str) -> Response:
        return Response("")

    assert contract(view, ("order_id",)) is None
    assert contract(plain, ("order_id",)) is None


def test_unresolvable_hints_leave_the_view_as_chalice_calls_it() -> None:
    def view(order_id: Decimal, amount: Decimal | None = None) -> dict[str, Any]:
        return {}

    assert contract(view, ("order_id",)) is None


def test_each_parameter_is_read_from_where_its_hint_says() -> None:
    def view(
        order_id: int,
        order: Order,
        limit: int = 10,
        tags: list[str] | None = None,
        x_request_id: Annotated[str | None, Header()] = None,
        token: Annotated[str, Header(alias="X-Api-Token")] = "",
        size: Annotated[int, Query(alias="page-size")] = 5,
    ) -> None: ...

    assert where(contract(view, ("order_id",))) == {
        "order_id": ("path", "order_id"),
        "limit": ("query", "limit"),
        "tags": ("query", "tags"),
        "x_request_id": ("header", "x-request-id"),
        "token": ("header", "x-api-token"),
        "size": ("query", "page-size"),
        "order": ("body", "order"),
    }


def test_models_dicts_and_lists_of_models_are_bodies() -> None:
    def one(order: PydanticOrder) -> None: ...
    def many(orders: list[Order]) -> None: ...
    def raw(data: dict[str, Any]) -> None: ...
    def marked(ids: Annotated[list[int], Body()]) -> None: ...

    for view in (one, many, raw, marked):
        found = contract(view)
        assert found is not None and found.body is not None
        assert found.body.location is ParamLocation.BODY


def test_a_typed_or_limited_path_parameter_makes_a_contract() -> None:
    def typed(order_id: int) -> None: ...
    def limited(code: Annotated[str, Path(max_length=3)]) -> None: ...

    assert contract(typed, ("order_id",)) is not None
    assert contract(limited, ("code",)) is not None


def test_the_return_type_is_checked_only_when_it_names_a_model() -> None:
    def model(order_id: int) -> Order:
        return Order("a")

    def plain(order_id: int) -> dict[str, int]:
        return {}

    found = contract(model, ("order_id",))
    assert found is not None and found.return_type is Order
    found = contract(plain, ("order_id",))
    assert found is not None and found.return_type is None
    unchecked = contract_for(model, ["order_id"], "model", validate_response=False)
    assert unchecked is not None and unchecked.return_type is None
    # Still written into the API's documentation, as declared.
    assert unchecked.declared_return is Order
    assert found.declared_return == dict[str, int]


def test_an_unannotated_extra_parameter_is_left_to_its_default() -> None:
    def view(order: Order, verbose=False) -> None: ...

    assert where(contract(view)) == {"order": ("body", "order")}


def test_two_bodies_are_refused_at_registration() -> None:
    def view(a: Order, b: PydanticOrder) -> None: ...

    with pytest.raises(RegistrationError, match=r"more than one parameter \(a, b\)"):
        contract(view)


def test_markers_that_contradict_the_route_are_refused() -> None:
    def query_on_path(order_id: Annotated[int, Query()]) -> None: ...
    def path_not_in_route(code: Annotated[str, Path()]) -> None: ...

    with pytest.raises(RegistrationError, match="is a path parameter of the route"):
        contract(query_on_path, ("order_id",))
    with pytest.raises(RegistrationError, match=r"has no \{code\} segment"):
        contract(path_not_in_route)


class Opaque:
    pass


def test_a_type_nothing_can_check_is_refused_at_import_naming_it() -> None:
    app = Chalice(app_name="t")
    with pytest.raises(RegistrationError, match="Opaque"):

        @app.route("/", methods=["POST"])
        def view(thing: Opaque) -> None: ...


def test_a_bound_method_and_a_partial_skip_what_is_already_given() -> None:
    import functools

    class Views:
        def get(self, order_id: int, limit: int = 1) -> None: ...

    def view(order_id: int, db: str, limit: int = 1) -> None: ...

    assert set(where(contract(Views().get, ("order_id",)))) == {"order_id", "limit"}
    bound = functools.partial(view, db="x")
    found = contract_for(bound, ["order_id"], "view")
    assert set(where(found)) == {"order_id", "limit"}


def test_plain_chalice_hints_never_load_the_contract_machinery() -> None:
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import sys
        from chalicelike import Chalice
        app = Chalice(app_name="x")

        @app.route("/a/{name}")
        def a(name: str) -> dict:
            return {}

        @app.route("/b")
        def b():
            return {}

        loaded = sorted(m for m in sys.modules if m.startswith("chalicelike._contracts."))
        print(loaded, "pydantic" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['chalicelike._contracts._plain_hints'] False"


def test_a_needed_argument_with_an_unresolvable_hint_is_refused_at_import() -> None:
    def view(order: Later) -> None: ...  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(RegistrationError, match=r"takes order, but its type hints cannot be"):
        contract(view)


def test_no_type_check_keeps_chalices_call() -> None:
    import typing

    @typing.no_type_check
    def view(order_id: int, verbose: bool = False) -> Order:
        return Order("a")

    assert contract(view, ("order_id",)) is None


def test_a_body_on_a_route_taking_no_json_is_refused() -> None:
    app = Chalice(app_name="t")
    with pytest.raises(RegistrationError, match="is read from a JSON body, but the route takes"):

        @app.route("/form", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
        def form(order: Order) -> None: ...
