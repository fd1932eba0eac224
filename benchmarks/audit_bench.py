"""Fleet audit: Resource Graph against a one-GET-per-registry loop, on LocalAzure.

Seeds LocalAzure with a fleet of known configuration (default 5,000 registries in 50 resource
groups; a fifth private, some with the trusted-services bypass off, a firewall on Standard SKU,
ABAC mode with AcrPull, ACR tasks and ML workspaces), then reports:

1. ``acr_trusted.audit``: Resource Graph requests (target: at most 6 for 5,000 registries), wall
   time (median of ``--runs``) and the peak Python heap while it runs (``tracemalloc``, a
   separate run, because tracing slows Python down);
2. ``iter_audit`` consuming each registry without keeping it: the same requests with a peak
   that stays flat as the fleet grows (measured at a fifth of the fleet too);
3. the loop it replaces: one ``registries.get`` per registry (plus, for the role check, one
   role-assignment list per registry, counted, not run), timed on ``--loop-sample`` registries
   and extrapolated.

LocalAzure serves both over HTTPS on 127.0.0.1 in this process, so times are a lower bound for
Azure, where each request costs a network round trip and ARM throttles per-resource reads.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

from azure.mgmt.containerregistry import ContainerRegistryManagementClient

import acr_trusted
from acr_trusted.azure.audit import iter_audit
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import LocalAzure


def seed(az: LocalAzure, count: int) -> list[RegistryRef]:
    """``count`` registries, every fifth of a known problematic kind."""
    puller = az.add_managed_identity("fleet-puller")
    refs = []
    for i in range(count):
        group = f"team{i % 50:02d}"
        kind = i % 10
        settings: dict[str, Any] = {}
        if kind == 1:
            settings = {"public_network_access": "Disabled"}
        elif kind == 2:
            settings = {"public_network_access": "Disabled", "network_rule_bypass_options": "None"}
        elif kind == 3:
            settings = {"sku": "Standard", "default_action": "Deny", "ip_rules": ["1.2.3.0/24"]}
        elif kind == 4:
            settings = {"private_endpoints": 1, "role_assignment_mode": "AbacRepositoryPermissions"}
        ref = az.add_registry(f"fleet{i:05d}", resource_group=group, **settings)
        refs.append(ref)
        if kind == 4:
            az.add_role_assignment(ref, puller, "AcrPull")
        elif kind == 1 and i % 20 == 1:
            az.add_task(ref, f"nightly{i:05d}")
        elif kind == 0 and i % 100 == 0:
            az.add_workspace(f"ws{i:05d}", container_registry=ref, resource_group=group)
    az.add_role_assignment(f"/subscriptions/{az.subscription_id}", puller, "Reader")
    return refs


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    results = []
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        results.append(action())
        times.append(time.perf_counter() - start)
    return statistics.median(times), results[-1]


def peak_mb(action: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def stream(az: LocalAzure) -> int:
    return sum(1 for _ in iter_audit(**az.kwargs))


def streamed_peak(count: int) -> float:
    """Peak heap of ``iter_audit`` over a fresh fleet of ``count`` registries."""
    with LocalAzure() as az:
        seed(az, count)
        return peak_mb(lambda: stream(az))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registries", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loop-sample", type=int, default=200)
    args = parser.parse_args(argv)

    with LocalAzure() as az:
        start = time.perf_counter()
        refs = seed(az, args.registries)
        print(f"seeded {len(refs):,} registries in {time.perf_counter() - start:.2f} s")

        seconds, report = timed(lambda: acr_trusted.audit(**az.kwargs), args.runs)
        requests = report.requests
        heap = peak_mb(lambda: acr_trusted.audit(**az.kwargs))
        streamed = peak_mb(lambda: stream(az))
        print(
            f"audit():      {len(report.registries):,} registries, {len(report.findings):,} "
            f"findings, {requests} Resource Graph requests (target <= 6 for 5,000), "
            f"{seconds:.2f} s, peak heap {heap:.1f} MB"
        )
        fifth = max(1, args.registries // 5)
        print(
            f"iter_audit(): streamed, peak heap {streamed:.1f} MB "
            f"({streamed_peak(fifth):.1f} MB for {fifth:,} registries)"
        )

        client = az.client(ContainerRegistryManagementClient)
        sample = refs[: max(1, min(args.loop_sample, len(refs)))]

        def loop() -> None:
            for ref in sample:
                client.registries.get(ref.resource_group, ref.name)

        loop_seconds, _ = timed(loop, 1)
        per_get = loop_seconds / len(sample)
        print(
            f"GET loop:     {len(refs):,} registry GETs (+{len(refs):,} role-assignment lists "
            f"for the role check) = {2 * len(refs):,} requests; the GETs alone take "
            f"~{per_get * len(refs):.1f} s here ({per_get * 1000:.1f} ms each over "
            f"{len(sample):,} measured)"
        )
        print(f"summary: {report.summary()}")
    return 0 if requests <= 6 or args.registries > 5_000 else 1


if __name__ == "__main__":
    sys.exit(main())
