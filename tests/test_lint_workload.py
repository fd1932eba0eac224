"""Splitting the files to parse between processes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from acr_trusted.lint.workload import FORMAT_ORDER, MIN_GAIN_MS, Job, cost_ms, split


def _job(path: str, fmt: str, kib: float) -> Job:
    return Job(path, Path(path), fmt, int(kib * 1024))


def test_cost_counts_each_format_loaded_once() -> None:
    one = cost_ms([_job("a.bicep", "bicep", 10)])
    two = cost_ms([_job("a.bicep", "bicep", 10), _job("b.bicep", "bicep", 10)])
    other = cost_ms([_job("a.bicep", "bicep", 10), _job("b.tf", "terraform", 10)])
    assert one < two < 2 * one  # the parser loads once for both files
    assert other > two  # a second format loads a second parser


def test_one_worker_or_one_file_is_one_share() -> None:
    jobs = [_job("b.tf", "terraform", 50), _job("a.bicep", "bicep", 50)]
    assert split(jobs, 1) == [[jobs[1], jobs[0]]]
    assert split(jobs[:1], 4) == [jobs[:1]]
    assert split([], 4) == []


def test_a_process_must_shorten_the_run_to_be_worth_forking() -> None:
    small = [_job("a.bicep", "bicep", 1), _job("b.bicep", "bicep", 1)]
    assert len(split(small, 2)) == 1  # each process would load the parser for 1 KiB
    large = [_job("a.bicep", "bicep", 100), _job("b.bicep", "bicep", 100)]
    assert len(split(large, 2)) == 2
    assert len(split(large, 4)) == 2  # there is nothing to cut a third share from


def test_shares_keep_formats_and_folders_together() -> None:
    """A folder's files share modules and parameter files; a format shares its parser."""
    jobs = [
        _job("repo/tf/main.tf", "terraform", 30),
        _job("repo/bicep/app/main.bicep", "bicep", 40),
        _job("repo/tf/variables.tf", "terraform", 5),
        _job("repo/bicep/app/acr.bicep", "bicep", 40),
        _job("repo/arm/azuredeploy.json", "arm", 100),
    ]
    shares = split(jobs, 2)
    assert [[job.display for job in share] for share in shares] == [
        ["repo/bicep/app/acr.bicep", "repo/bicep/app/main.bicep", "repo/arm/azuredeploy.json"],
        ["repo/tf/main.tf", "repo/tf/variables.tf"],
    ]


def test_the_largest_share_is_as_small_as_contiguous_cuts_allow() -> None:
    jobs = [_job(f"m{i:02}.bicep", "bicep", kib) for i, kib in enumerate([80, 10, 10, 10, 80])]
    shares = split(jobs, 2)
    best = min(max(cost_ms(jobs[:cut]), cost_ms(jobs[cut:])) for cut in range(1, len(jobs)))
    assert max(map(cost_ms, shares)) <= best + 0.5


_jobs = st.lists(
    st.builds(
        _job,
        st.text("abc/", min_size=1, max_size=6).map(lambda s: f"r/{s}.x"),
        st.sampled_from(FORMAT_ORDER),
        st.floats(0, 200),
    ),
    max_size=30,
)


@given(_jobs, st.integers(1, 6))
def test_every_job_is_in_exactly_one_share_and_each_share_shortens_the_run(
    jobs: list[Job], workers: int
) -> None:
    shares = split(jobs, workers)
    assert sorted(job for share in shares for job in share) == sorted(jobs)
    assert len(shares) <= max(workers, 1)
    assert all(shares)
    if len(shares) > 1:
        assert cost_ms(jobs) - max(map(cost_ms, shares)) >= MIN_GAIN_MS
