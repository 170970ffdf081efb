"""Hand freed heap memory back to the system between embedding slices (glibc's `malloc_trim`)."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from typing import Any


@cache
def _trim_function() -> Any:
    """The C library's `malloc_trim` (glibc), or None where the C library has none (musl, macOS, Windows)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return the heap's free pages to the system.

    Encoding batches of many different shapes leaves the C heap (torch's CPU allocator sits on
    it) with large free holes that glibc keeps resident, so a long build's RSS would creep up
    with every new batch shape it meets. Trimming after each slice brings the build's memory
    back towards what it actually holds, at a cost that is small next to the seconds a slice
    takes to encode.

    Returns:
        Whether memory could be trimmed on this platform (False: nothing was done).
    """
    trim = _trim_function()
    if trim is None:
        return False
    trim(0)
    return True
