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

import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

FORMAT_ORDER = ("bicep", "arm", "terraform")
# a Bicep module on disk, and a .bicepparam file's template (registry references are not files)
_BICEP_MODULE = re.compile(r"^[ \t]*module\s+\w+\s+'(?!br[:/]|ts[:/])([^'\n]+)'", re.MULTILINE)
_BICEP_USING = re.compile(r"^[ \t]*using\s+'([^'\n]+)'", re.MULTILINE)
# milliseconds per KiB, measured on the corpus: to parse a file (once per process) and to
# evaluate it (for each file linted that reads it, a module for each of its callers)
_PARSE_MS_PER_KIB = {"bicep": 0.45, "arm": 0.1, "terraform": 0.3}
_EVALUATE_MS_PER_KIB = {"bicep": 0.3, "arm": 0.07, "terraform": 0.2}
# milliseconds for a process to load a format's parser the first time
_MS_TO_LOAD = {"bicep": 25.0, "arm": 25.0, "terraform": 45.0}
MIN_GAIN_MS = 20.0
"""One more process must finish the run at least this much sooner to be worth forking."""


class Job(NamedTuple):
    """A file to lint: how it is shown and where it is, the format of the parser that reads
    it, and the files parsed and evaluated to lint it, as (file, characters): itself first,
    then the templates or modules it evaluates. ``place`` is the file it belongs beside
    (default ``path``): an ARM parameter file or a ``.bicepparam`` beside its template, so
    that the two share a process and the template is parsed once.
    """

    display: str
    path: Path
    format: str
    reads: tuple[tuple[Path, int], ...]
    place: Path | None = None


def bicep_references(text: str) -> tuple[list[str], str | None]:
    """The local modules a Bicep file calls, and the template a ``.bicepparam`` file is for,
    as written (relative to the file)."""
    using = _BICEP_USING.search(text)
    return _BICEP_MODULE.findall(text), using.group(1) if using else None


def cost_ms(jobs: Sequence[Job]) -> float:
    """The estimated time for one process to lint ``jobs`` from a cold start."""
    return _Share().add_all(jobs)


class _Share:
    """The running cost of a share: each format loaded and each file parsed once."""

    def __init__(self) -> None:
        self.formats: set[str] = set()
        self.parsed: set[Path] = set()
        self.cost = 0.0

    def more(self, job: Job) -> float:
        """What adding ``job`` would cost."""
        fmt = job.format
        extra = 0.0 if fmt in self.formats else _MS_TO_LOAD.get(fmt, 0.0)
        for path, size in job.reads:
            kib = size / 1024
            extra += _EVALUATE_MS_PER_KIB.get(fmt, 1.0) * kib
            if path not in self.parsed:
                extra += _PARSE_MS_PER_KIB.get(fmt, 1.0) * kib
        return extra

    def add(self, job: Job) -> None:
        self.cost += self.more(job)
        self.formats.add(job.format)
        self.parsed.update(path for path, _ in job.reads)

    def add_all(self, jobs: Sequence[Job]) -> float:
        for job in jobs:
            self.add(job)
        return self.cost


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


def _order(job: Job) -> tuple[int, tuple[str, ...], bool]:
    """By format, then place; a template before the files placed at it."""
    rank = FORMAT_ORDER.index(job.format) if job.format in FORMAT_ORDER else len(FORMAT_ORDER)
    return rank, (job.place or job.path).parts, job.place is not None


def _fill(ordered: Sequence[Job], limit: float) -> list[list[Job]]:
    """Contiguous shares, each taking jobs while its cost stays within ``limit``."""
    shares: list[list[Job]] = []
    current: list[Job] = []
    share = _Share()
    for job in ordered:
        if current and share.cost + share.more(job) > limit:
            shares.append(current)
            current, share = [], _Share()
        current.append(job)
        share.add(job)
    if current:
        shares.append(current)
    return shares
