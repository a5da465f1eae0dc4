"""Route matching cost as the route table grows, beside Chalice's local matcher.

    python benchmarks/routing.py

For tables of N routes (a mix of static and parameterised paths), times matching a
parameterised path that sits at the end of the table, with chalicelike's RouteTable
and with Chalice's `chalice.local.RouteMatcher` (what `chalice local` and its test
client use; on AWS, API Gateway does Chalice's routing). Prints µs per match and
the ratio Chalice / chalicelike.
"""

from __future__ import annotations

import timeit

from chalicelike._core._routing import RouteEntry, RouteTable

SIZES = (10, 100, 1000, 5000)


def paths(n: int) -> list[str]:
    """n route patterns: static and one-parameter resources, like a real API's."""
    result = []
    for i in range(n // 2):
        result.append(f"/resource{i}")
        result.append(f"/resource{i}/{{item_id}}")
    return result


def best_of(stmt, number: int) -> float:
    return min(timeit.repeat(stmt, number=number, repeat=5)) / number * 1e6


def main() -> None:
    from chalice.local import RouteMatcher

    print(f"{'routes':>7} {'chalicelike µs':>15} {'chalice local µs':>17} {'ratio':>7}")
    for n in SIZES:
        table = RouteTable()
        for path in paths(n):
            table.add(RouteEntry(lambda **kw: None, path, path, "GET"))
        target = f"/resource{n // 2 - 1}/abc"
        assert table.match("GET", target).resource == f"/resource{n // 2 - 1}/{{item_id}}"
        ours = best_of(lambda t=table, p=target: t.match("GET", p), 20000)
        matcher = RouteMatcher(paths(n))
        number = max(20, 200000 // n)
        theirs = best_of(lambda m=matcher, p=target: m.match_route(p), number)
        print(f"{n:>7} {ours:>15.2f} {theirs:>17.2f} {theirs / ours:>6.0f}x")


if __name__ == "__main__":
    main()
