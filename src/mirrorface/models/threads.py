"""Torch's intra-op threads for the package's small models."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread inside the block.

    The package's models are small: a second thread saves little, and on shared cores (beside
    the frame-rendering processes, or other jobs) the threads wait for each other. Measured on
    the 2-core development machine: a FAT streaming step 1.3 ms on one thread and 11-170 ms on
    two, a predictive-model training step 10 ms against 600 ms, speech planning 18x real time
    against 22x (benchmarks/lipsync.py).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
