from __future__ import annotations

import threading

from acr_trusted.testing._state import Operation, Principal, State, utc_now


def state() -> State:
    return State(subscription_id="sub", tenant_id="tenant", location="westus")


def resource(name: str, kind: str = "Microsoft.X/things", group: str = "rg") -> dict[str, object]:
    return {
        "id": f"/subscriptions/sub/resourceGroups/{group}/providers/{kind}/{name}",
        "type": kind,
        "name": name,
    }


def test_resources_are_case_insensitive_and_indexed() -> None:
    """Lookups by ID, type and name ignore case; delete removes every index entry."""
    store = state()
    thing = resource("One")
    store.put_resource(thing)
    store.put_resource(resource("two", "Microsoft.Y/others"))
    assert store.resource(str(thing["id"]).upper()) is thing
    assert list(store.resources_of_type("microsoft.x/THINGS")) == [thing]
    assert store.resources_named("Microsoft.X/things", "ONE") == [thing]
    assert len(store.all_resources()) == 2
    assert store.delete_resource(str(thing["id"])) is thing
    assert store.resource(str(thing["id"])) is None
    assert store.resources_named("Microsoft.X/things", "one") == []
    assert store.delete_resource(str(thing["id"])) is None


def test_snapshot_is_a_copy() -> None:
    """Mutating a snapshot never touches the store."""
    store = state()
    store.put_resource({**resource("one"), "properties": {"a": 1}})
    copy = store.snapshot("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.X/things/one")
    assert copy is not None
    copy["properties"]["a"] = 2
    assert store.all_resources()[0]["properties"] == {"a": 1}
    assert store.snapshot("/nope") is None


def test_resource_groups_and_principals() -> None:
    """Resource groups are created once; principals are found by ID in any case."""
    store = state()
    group = store.ensure_resource_group("RG")
    assert store.ensure_resource_group("rg") is group
    assert store.has_resource_group("Rg")
    assert group["id"] == "/subscriptions/sub/resourceGroups/RG"
    store.add_principal(Principal("ABC", "User", "alice"))
    assert store.principal("abc") == Principal("ABC", "User", "alice")
    assert store.principal("other") is None


def test_operation_runs_in_progress_then_success_once() -> None:
    """InProgress for polls_left polls, then Succeeded with on_success and on_finish run once."""
    store = state()
    calls: list[str] = []
    store.start_operation(
        Operation(
            "op-1",
            "v",
            1,
            lambda: calls.append("success"),
            lambda: calls.append("finish"),
            None,
            utc_now(),
        )
    )
    statuses = [getattr(store.poll_operation("OP-1"), "status", None) for _ in range(3)]
    assert statuses == ["InProgress", "Succeeded", "Succeeded"]
    assert calls == ["success", "finish"]
    assert store.poll_operation("missing") is None


def test_failed_operation_skips_success() -> None:
    """An operation with an error ends Failed and never applies its change."""
    store = state()
    calls: list[str] = []
    store.start_operation(
        Operation("op", "v", 0, lambda: calls.append("success"), None, {"code": "X"}, utc_now())
    )
    operation = store.poll_operation("op")
    assert operation is not None
    assert (operation.status, operation.end_time is not None) == ("Failed", True)
    assert calls == []


def test_concurrent_writers_lose_nothing() -> None:
    """Parallel inserts under the lock all land."""
    store = state()

    def insert(prefix: str) -> None:
        for i in range(200):
            store.put_resource(resource(f"{prefix}{i}"))

    threads = [threading.Thread(target=insert, args=(p,)) for p in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(list(store.resources_of_type("Microsoft.X/things"))) == 800
