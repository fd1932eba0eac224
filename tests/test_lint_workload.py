"""Splitting the files to lint between processes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from acr_trusted.lint.workload import (
    FORMAT_ORDER,
    MIN_GAIN_MS,
    Job,
    bicep_references,
    cost_ms,
    split,
)


def _job(path: str, fmt: str, kib: float, *modules: tuple[str, float]) -> Job:
    reads = [(Path(path), int(kib * 1024))]
    reads += [(Path(module), int(size * 1024)) for module, size in modules]
    return Job(path, Path(path), fmt, tuple(reads))


def test_cost_counts_each_format_loaded_and_each_file_parsed_once() -> None:
    one = cost_ms([_job("a.bicep", "bicep", 10)])
    two = cost_ms([_job("a.bicep", "bicep", 10), _job("b.bicep", "bicep", 10)])
    other = cost_ms([_job("a.bicep", "bicep", 10), _job("b.tf", "terraform", 10)])
    assert one < two < 2 * one  # the parser loads once for both files
    assert other > two  # a second format loads a second parser
    callers = [_job(f"t{i}.bicep", "bicep", 1, ("main.bicep", 30)) for i in range(2)]
    each = cost_ms(callers[:1])
    assert each < cost_ms(callers) < 2 * each  # the module is parsed once, evaluated twice


def test_bicep_references_are_local_modules_and_the_template_of_a_bicepparam() -> None:
    text = (
        "module acr './modules/acr.bicep' = {\n"
        "  name: 'acr'\n"
        "}\n"
        "module avm 'br/public:avm/res/container-registry/registry:0.9.3' = {\n"
        "}\n"
        "  module pe '../pe.bicep' = if (deploy) {\n"
    )
    assert bicep_references(text) == (["./modules/acr.bicep", "../pe.bicep"], None)
    assert bicep_references("using 'main.bicep'\nparam sku = 'Premium'\n") == ([], "main.bicep")


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
        _job("repo/bicep/app/main.bicep", "bicep", 60),
        _job("repo/tf/variables.tf", "terraform", 5),
        _job("repo/bicep/app/acr.bicep", "bicep", 60),
        _job("repo/arm/azuredeploy.json", "arm", 100),
    ]
    shares = split(jobs, 2)
    assert len(shares) == 2
    folders = [{job.path.parent for job in share} for share in shares]
    assert not folders[0] & folders[1]
    ranks = [[FORMAT_ORDER.index(job.format) for job in share] for share in shares]
    assert [rank for share in ranks for rank in share] == sorted(r for s in ranks for r in s)


def test_a_file_placed_at_its_template_sorts_beside_it() -> None:
    template = _job("repo/module/deploy.bicep", "bicep", 40)
    parameters = Job(
        "repo/module/.test/parameters.json",
        Path("repo/module/.test/parameters.json"),
        "bicep",
        ((Path("repo/module/.test/parameters.json"), 1024), (template.path, 40 * 1024)),
        template.path,
    )
    other = _job("repo/module/.test/zzz.bicep", "bicep", 40)
    shares = split([other, parameters, template], 2)
    assert [[job.display for job in share] for share in shares] == [
        ["repo/module/.test/zzz.bicep"],
        ["repo/module/deploy.bicep", "repo/module/.test/parameters.json"],
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
    unique_by=lambda job: job.path,  # two routes to one file are one file
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
