"""How a run's parsing is shared between processes: a cost per file, and a balanced split.

Parsing is pure Python and a run is short, so the only parallelism that pays is a few forked
processes, each linting its own share of the files. What makes a share cheap is what its files
have in common: a process loads each format's parser once (the HCL tables alone take as long
as a large Bicep file), and within a format the files of one folder tend to read the same
modules and parameter files, which a process parses once for all its files. So the files are
ordered by format and then by path, and cut into contiguous shares: a share holds few formats
and whole folders, and the cuts are placed so that the largest share is as small as possible.

The costs are estimates measured on the real-world corpus (``make bench``); they only decide
where to cut, never what is found.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

FORMAT_ORDER = ("bicep", "arm", "terraform")
# milliseconds per KiB of a file's text, warm, on the corpus
_MS_PER_KIB = {"bicep": 0.8, "arm": 0.35, "terraform": 2.0}
# milliseconds for a process to load a format's parser the first time
_MS_TO_LOAD = {"bicep": 35.0, "arm": 15.0, "terraform": 60.0}
MIN_GAIN_MS = 20.0
"""One more process must finish the run at least this much sooner to be worth forking."""


class Job(NamedTuple):
    """A file to lint: how it is shown and where it is; the format of what is parsed to lint
    it, how much (in characters), and the file it belongs beside (``place``, default ``path``).

    An ARM parameter file is linted by evaluating its template: the job is that template's
    format and size, placed at the template, so that it shares a process with the template.
    """

    display: str
    path: Path
    format: str
    size: int
    place: Path | None = None


def cost_ms(jobs: Sequence[Job]) -> float:
    """The estimated time for one process to lint ``jobs`` from a cold start."""
    formats = {job.format for job in jobs}
    return sum(_MS_TO_LOAD.get(fmt, 0.0) for fmt in formats) + sum(map(_parse_ms, jobs))


def _parse_ms(job: Job) -> float:
    return _MS_PER_KIB.get(job.format, 1.0) * job.size / 1024


def split(jobs: Sequence[Job], workers: int) -> list[list[Job]]:
    """``jobs`` in at most ``workers`` non-empty shares, the largest as cheap as contiguous
    cuts allow; as few shares as give that within :data:`MIN_GAIN_MS`."""
    ordered = sorted(jobs, key=_order)
    best = [ordered] if ordered else []
    best_cost = cost_ms(ordered)
    for count in range(2, min(workers, len(ordered)) + 1):
        shares = _balanced(ordered, count)
        cost = max(map(cost_ms, shares))
        if best_cost - cost < MIN_GAIN_MS:
            break
        best, best_cost = shares, cost
    return best


def _balanced(ordered: Sequence[Job], count: int) -> list[list[Job]]:
    """At most ``count`` contiguous shares whose largest cost is least (to half a ms)."""
    low = max(cost_ms([job]) for job in ordered)
    high = cost_ms(ordered)
    while high - low > 0.5:
        middle = (low + high) / 2
        if len(_fill(ordered, middle)) <= count:
            high = middle
        else:
            low = middle
    return _fill(ordered, high)


def _order(job: Job) -> tuple[int, tuple[str, ...]]:
    rank = FORMAT_ORDER.index(job.format) if job.format in FORMAT_ORDER else len(FORMAT_ORDER)
    return rank, (job.place or job.path).parts


def _fill(ordered: Sequence[Job], limit: float) -> list[list[Job]]:
    """Contiguous shares, each taking jobs while its cost stays within ``limit``."""
    shares: list[list[Job]] = []
    current: list[Job] = []
    formats: set[str] = set()
    spent = 0.0
    for job in ordered:
        more = _parse_ms(job) + (0.0 if job.format in formats else _MS_TO_LOAD.get(job.format, 0.0))
        if current and spent + more > limit:
            shares.append(current)
            current, formats = [], set()
            more = _parse_ms(job) + _MS_TO_LOAD.get(job.format, 0.0)
            spent = 0.0
        current.append(job)
        formats.add(job.format)
        spent += more
    if current:
        shares.append(current)
    return shares
