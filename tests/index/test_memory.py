"""Freed heap memory goes back to the system between embedding slices."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from index.memory import _trim_function

pytestmark = pytest.mark.skipif(_trim_function() is None, reason="no malloc_trim (not glibc)")

# A child process, so that this test's heap is its own: blocks of one size are allocated on the
# heap (a freed block of that size first raises glibc's mmap threshold, as torch's freed batch
# buffers do), the last one is kept so the heap cannot shrink from its top, the rest are freed.
CHILD = textwrap.dedent(
    """
    import ctypes, os, sys
    from index.memory import release_free_memory

    def rss_mb():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6

    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    size = 4 << 20
    libc.free(libc.malloc(size))
    blocks = []
    for _ in range(60):
        p = libc.malloc(size)
        ctypes.memset(p, 1, size)
        blocks.append(p)
    for p in blocks[:-1]:
        libc.free(p)
    before = rss_mb()
    trimmed = release_free_memory()
    print(before, rss_mb(), trimmed)
    """
)


def test_freed_holes_are_returned_to_the_system() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    before, after, trimmed = float(out[0]), float(out[1]), out[2]
    assert trimmed == "True"
    # About 240 MB were freed inside the heap: without the trim they stay resident.
    assert before - after > 150, (before, after)
