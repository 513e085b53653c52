"""Babbling datasets: append-only recording that survives interrupts, and reading them back.

`writer.DatasetWriter` records, `dataset.Dataset` reads, `video` holds the crash-tolerant MP4
I/O and `sheet.contact_sheet` draws a grid of frames for a quick look.
"""
