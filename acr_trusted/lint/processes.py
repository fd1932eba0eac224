"""Linting in several processes: the shares of a run, and forking a child to lint one.

Parsing is pure Python, so on a machine with two or more cores a run with enough to parse is
shared between forked processes (:mod:`acr_trusted.lint.workload` says how the files are
split), and two processes work each two neighbouring shares from either end
(:class:`TwoEnds`). The engine forks once what every share needs is imported: a child
inherits it, so forking earlier would only import the same modules twice (each process must
import them before it lints anything, so the run would end no sooner).
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from acr_trusted.lint.scan import TextCache, format_of, parameter_file_templates
from acr_trusted.lint.workload import Job, bicep_references, split

Share = list[tuple[str, Path]]
"""Files to lint in one process, as (display path, file)."""
Waiting = Callable[[], "list[Any] | None"]
"""Waits for a child's result; ``None`` when the child failed."""

MAX_PROCESSES = 4
"""Shares beyond this many cost more in forking and loading parsers than they save."""
MAX_TOKENS = 4096
"""The most files :class:`TwoEnds` shares: its pipe takes this many bytes without blocking."""


def plan(found: Mapping[str, Path], read_text: TextCache) -> list[Share]:
    """The files in shares, one per process; the first share is this process's.

    Files with nothing to parse (and those that cannot be read, which the linter reports)
    stay here. One share when there is one core or not enough work for two.
    """
    here: Share = []
    jobs: list[Job] = []
    for display, file in found.items():
        try:
            text = read_text(file)
        except (OSError, UnicodeDecodeError):
            here.append((display, file))
            continue
        fmt = format_of(file, text)
        if fmt is None or not read_text.relevant(file):
            here.append((display, file))
        else:
            jobs.append(_job(display, file, fmt, text))
    parts = split(jobs, min(cores(), MAX_PROCESSES))
    if len(parts) < 2:
        return [list(found.items())]
    first, *others = ([(job.display, job.path) for job in part] for part in parts)
    return [here + first, *others]


def _job(display: str, file: Path, fmt: str, text: str) -> Job:
    """What linting ``file`` reads: itself, and the templates it evaluates.

    An ARM parameter file is its template evaluated, in the template's format; a Bicep file
    evaluates each local module it calls; a ``.bicepparam`` file the template it is for.
    """
    itself = ((file, len(text)),)
    if fmt == "arm" and "deploymentParameters" in text:
        for template in parameter_file_templates(file):
            found = _size(template)
            if template.suffix.lower() in (".bicep", ".json") and found is not None:
                fmt = "bicep" if template.suffix.lower() == ".bicep" else "arm"
                return Job(display, file, fmt, (*itself, (template, found)), template)
    elif fmt == "bicep":
        modules, using = bicep_references(text)
        read = [_read(file.parent / module) for module in modules]
        if using is not None:
            template, size = _read(file.parent / using)
            return Job(display, file, fmt, (*itself, (template, size), *read), template)
        return Job(display, file, fmt, (*itself, *read))
    return Job(display, file, fmt, itself)


def _read(path: Path) -> tuple[Path, int]:
    """``path`` (with ``..`` folded, so that two routes to it are one file) and its size."""
    path = Path(os.path.normpath(path))
    return path, _size(path) or 0


def _size(path: Path) -> int | None:
    """The size of the file at ``path``; ``None`` when there is no such file."""
    try:
        return os.stat(path).st_size if os.path.isfile(path) else None
    except (OSError, ValueError):
        return None


class TwoEnds:
    """Files two processes lint from opposite ends, each taking the next file as it gets free.

    A planned share is only as even as the estimated costs, and on a shared machine one of two
    cores often runs slower than the other for a while: two planned halves of the corpus ended
    up to 70 ms apart. Here the two processes walk the files of two neighbouring shares from
    either end, and each file costs a token from a pipe that holds one token per file, so each
    file is linted once and the faster process lints more. Until they meet, each keeps to its
    planned share's formats and folders. Made before forking, so that both hold the pipe.
    """

    def __init__(self, files: Share) -> None:
        if len(files) > MAX_TOKENS:
            raise ValueError(f"more than {MAX_TOKENS} files")
        self.files = files
        self.taken: list[tuple[str, Path]] = []  # by this process
        self._tokens, write_end = os.pipe()
        try:
            os.write(write_end, bytes(len(files)))
        finally:
            os.close(write_end)

    def take(self, *, from_end: bool = False) -> Iterator[tuple[str, Path]]:
        """The files this process takes, from the start (or the end) until none is left."""
        order = reversed(self.files) if from_end else iter(self.files)
        for file in order:
            if not os.read(self._tokens, 1):
                return
            self.taken.append(file)
            yield file

    def take_left(self) -> Share:
        """The files this process has not taken, now taken: what the other process took and did
        not report when it failed (it may have reported some; findings are merged as a set)."""
        taken = set(self.taken)
        left = [file for file in self.files if file not in taken]
        self.taken += left
        return left

    def close(self) -> None:
        os.close(self._tokens)


def cores() -> int:
    """The cores this process may run on."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def fork(work: Callable[[], list[Any]]) -> Waiting | None:
    """Run ``work`` in a forked child; the function returned waits for its result.

    ``None`` where processes cannot fork or other threads run; the waiting function gives
    ``None`` if the child failed, and the caller does the work itself. The result comes back
    pickled through a pipe only this process and its child hold.
    """
    fork_process = getattr(os, "fork", None)
    # Forking a process that runs other threads can copy a lock another thread holds (and
    # Python 3.12 warns about it): only the single-threaded command line forks.
    if fork_process is None or threading.active_count() > 1:
        return None
    try:
        read_end, write_end = os.pipe()
        pid = fork_process()
    except OSError:
        return None
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(work()))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def wait() -> list[Any] | None:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        result: list[Any] = pickle.loads(data)
        return result

    return wait
