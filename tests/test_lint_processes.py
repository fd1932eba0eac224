"""Planning the shares of a run and forking the children that lint them."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.lint import processes
from acr_trusted.lint.findings import Finding, Severity
from acr_trusted.lint.model import Span
from acr_trusted.lint.scan import TextCache, discover

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "iac"


def _bad_examples() -> list[Path]:
    return [EXAMPLES / "bicep/bad.bicep", EXAMPLES / "arm/bad.json", EXAMPLES / "terraform/bad"]


def _names(share: list[tuple[str, Path]]) -> list[str]:
    return sorted(path.name for _, path in share)


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "cores", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_files_to_parse_are_shared_by_format_between_processes() -> None:
    found, _ = discover(_bad_examples())
    shares = processes.plan(found, TextCache())
    assert len(shares) == 2
    assert sorted(name for share in shares for name in _names(share)) == _names(list(found.items()))
    # the two parsers that take longest to load are loaded in different processes
    assert not any({"bad.bicep", "main.tf"} <= set(_names(share)) for share in shares)


@pytest.mark.usefixtures("two_cores")
def test_files_with_nothing_to_parse_stay_in_this_process(tmp_path: Path) -> None:
    (tmp_path / "storage.bicep").write_text("param location string\n", encoding="utf-8")
    (tmp_path / "broken.json").write_bytes(b"\xff\xfe")
    found, _ = discover([*_bad_examples(), tmp_path])
    here, *children = processes.plan(found, TextCache())
    assert {"broken.json", "storage.bicep"} <= set(_names(here))
    assert children
    assert not any({"broken.json", "storage.bicep"} & set(_names(share)) for share in children)


@pytest.mark.usefixtures("two_cores")
def test_a_parameter_file_shares_a_process_with_its_template(tmp_path: Path) -> None:
    """A parameter file is linted by evaluating its template: the Bicep one, here."""
    module = tmp_path / "registries"
    (module / ".test").mkdir(parents=True)
    bicep = (EXAMPLES / "bicep/bad.bicep").read_text(encoding="utf-8")
    (module / "deploy.bicep").write_text(bicep + "\n" * 40_000, encoding="utf-8")
    (module / ".test/parameters.json").write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
        'deploymentParameters.json#", "contentVersion": "1.0.0.0",'
        ' "parameters": {"acrName": {"value": "acr1"}}}',
        encoding="utf-8",
    )
    found, _ = discover([tmp_path, EXAMPLES / "terraform/bad"])
    shares = processes.plan(found, TextCache())
    assert [_names(share) for share in shares] == [["deploy.bicep", "parameters.json"], ["main.tf"]]


@pytest.mark.usefixtures("two_cores")
def test_callers_of_a_module_share_its_parse(tmp_path: Path) -> None:
    """Three tests calling one large module stay with it rather than parse it twice."""
    module = (EXAMPLES / "bicep/bad.bicep").read_text(encoding="utf-8") + "\n" * 60_000
    (tmp_path / "main.bicep").write_text(module, encoding="utf-8")
    for name in ("a", "b", "c"):
        test = tmp_path / "tests" / name / "main.test.bicep"
        test.parent.mkdir(parents=True)
        test.write_text("module acr '../../main.bicep' = {\n  name: 'acr'\n}\n", encoding="utf-8")
    terraform = tmp_path / "tf" / "main.tf"
    terraform.parent.mkdir()
    text = (EXAMPLES / "terraform/bad/main.tf").read_text(encoding="utf-8")
    terraform.write_text(text + "\n" * 30_000, encoding="utf-8")
    found, _ = discover([tmp_path])
    shares = processes.plan(found, TextCache())
    assert [_names(share) for share in shares] == [
        ["main.bicep", "main.test.bicep", "main.test.bicep", "main.test.bicep"],
        ["main.tf"],
    ]


def test_one_core_or_little_work_stays_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    found, _ = discover(_bad_examples())
    monkeypatch.setattr(processes, "cores", lambda: 1)
    assert processes.plan(found, TextCache()) == [list(found.items())]
    monkeypatch.setattr(processes, "cores", lambda: 2)
    one_file, _ = discover([EXAMPLES / "bicep/bad.bicep"])
    assert processes.plan(one_file, TextCache()) == [list(one_file.items())]


def test_a_forked_child_returns_its_result_or_nothing_when_it_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # as in the single-threaded command line, whatever threads earlier tests left behind
    monkeypatch.setattr(processes.threading, "active_count", lambda: 1)
    finding = Finding("ACRT001", Severity.ERROR, Span.point("main.tf", 3, 1), "m", "acr")
    wait = processes.fork(lambda: [finding])
    assert wait is not None
    assert wait() == [finding]

    def broken() -> list[Finding]:
        raise RuntimeError("boom")

    failing = processes.fork(broken)
    assert failing is not None
    assert failing() is None


def test_no_fork_while_other_threads_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library caller with threads (a server, a pool) gets the serial path."""
    monkeypatch.setattr(processes.threading, "active_count", lambda: 2)
    assert processes.fork(list) is None


def _files(count: int) -> list[tuple[str, Path]]:
    return [(f"f{index}.bicep", Path(f"f{index}.bicep")) for index in range(count)]


def test_two_ends_give_each_file_once_and_meet_where_the_takers_are() -> None:
    files = _files(7)
    ends = processes.TwoEnds(files)
    try:
        front, back = ends.take(), ends.take(from_end=True)
        # the front taker is twice as fast: it takes two files for each of the back's
        taken = [next(front), next(front), next(back), next(front), next(front), next(back)]
        taken += list(front)  # the last one, then nothing: every token is spent
        assert list(back) == []
    finally:
        ends.close()
    assert sorted(taken) == sorted(files)
    assert [name for name, _ in taken[:2]] == ["f0.bicep", "f1.bicep"]
    assert taken[2][0] == "f6.bicep"


def test_two_ends_leave_to_this_process_what_the_other_took() -> None:
    files = _files(5)
    ends = processes.TwoEnds(files)
    try:
        assert [name for name, _ in ends.take()][:5] == [name for name, _ in files]
        assert ends.take_left() == []
    finally:
        ends.close()
    ends = processes.TwoEnds(files)
    try:
        mine = ends.take()
        taken_here = [next(mine), next(mine)]
        assert ends.take_left() == files[2:]  # whatever the other process took or would take
        assert ends.take_left() == []
        assert taken_here == files[:2]
    finally:
        ends.close()


def test_two_ends_refuse_more_files_than_their_pipe_holds() -> None:
    with pytest.raises(ValueError, match="more than"):
        processes.TwoEnds(_files(processes.MAX_TOKENS + 1))
