"""Worker processes for work that needs no database: spawned, and gone when their parent is.

Both users (the ingest worker, the writers of rectification lists) run inside a process that holds
DuckDB's threads and locks, so workers are spawned, never forked. A pool's worker does not notice
its parent's death on its own: after the parent is killed it would wait on the pool's queue for
good. Each worker therefore starts a thread that ends it once its parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


def spawn_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that exit when this process does."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_follow_parent, initargs=(os.getpid(),))


def _follow_parent(parent: int) -> None:
    """Run in the worker: exit as soon as the process that started it is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()
