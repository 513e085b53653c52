"""Grouping a face's channels for the buses that address consecutive channels in one message."""

from __future__ import annotations


def channel_runs(channels: list[int]) -> list[list[int]]:
    """Slots of `channels` grouped into runs of consecutive channel numbers (one packet each)."""
    runs: list[list[int]] = []
    for k in sorted(range(len(channels)), key=channels.__getitem__):
        if runs and channels[k] == channels[runs[-1][-1]] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs
