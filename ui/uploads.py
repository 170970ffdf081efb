"""Check uploaded article files against the page's caps; copy them, safely named, for indexing."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from index.reader import SUPPORTED_SUFFIXES
from ui.errors import UploadRejected

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = tuple(sorted(SUPPORTED_SUFFIXES))  # what the reader reads, nothing else
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
_MAX_NAME = 120


@dataclass
class Upload:
    """One uploaded file: where the server stored it and the name the user gave it."""

    path: Path
    name: str


@dataclass
class Staged:
    """Uploads copied into a fresh private folder, ready to index."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    rejected: list[tuple[str, str]] = field(default_factory=list)

    def cleanup(self) -> None:
        """Delete the staging folder."""
        shutil.rmtree(self.folder, ignore_errors=True)


def safe_name(name: str) -> str:
    """A file name that cannot leave its folder: the last path part, with odd characters replaced.

    Args:
        name: The name as uploaded (untrusted: may hold `../`, slashes, control characters).

    Returns:
        A plain base name of letters (any script), digits, `.`, `-` and `_`; never empty,
        never starting with a dot.
    """
    base = PurePosixPath(str(name).replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = _UNSAFE.sub("_", base).strip("._ ")
    if not base:
        base = "upload"
    if len(base) > _MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: _MAX_NAME - len(suffix) - 1] + dot + suffix) if dot else base[:_MAX_NAME]
    return base


def _as_upload(item: Upload | str | os.PathLike[str]) -> Upload:
    if isinstance(item, Upload):
        return item
    path = Path(item)
    return Upload(path=path, name=path.name)


def stage_uploads(
    uploads: Sequence[Upload | str | os.PathLike[str]],
    *,
    max_mb: float,
    max_files: int,
    root: Path | None = None,
) -> Staged:
    """Check uploads against the caps and copy the acceptable ones into a fresh folder.

    Too many files, or any file over the size cap, refuses the whole upload. A file of an
    unsupported type, or whose safe name repeats an earlier one, is rejected on its own.

    Args:
        uploads: The uploaded files.
        max_mb: Largest accepted file, in megabytes.
        max_files: Most files per upload.
        root: Where to make the staging folder (default: the system temp folder).

    Returns:
        The staged files (the caller indexes them and then calls `cleanup`).

    Raises:
        UploadRejected: No files, too many files, or a file too large.
    """
    items = [_as_upload(u) for u in uploads or []]
    if not items:
        raise UploadRejected("لم تُختر أي ملفات للرفع.")
    if len(items) > max_files:
        raise UploadRejected(
            f"عدد الملفات ({len(items)}) يتجاوز الحد المسموح ({max_files} ملفاً في المرة الواحدة)؛"
            " لم يتغيّر الفهرس."
        )
    limit = int(max_mb * 1024 * 1024)
    for item in items:
        size = item.path.stat().st_size
        if size > limit:
            raise UploadRejected(
                f"الملف «{safe_name(item.name)}» أكبر من الحد المسموح ({max_mb:g} ميغابايت)؛"
                " لم يتغيّر الفهرس."
            )
    folder = Path(tempfile.mkdtemp(prefix="akhbar-upload-", dir=root)).resolve()
    staged = Staged(folder=folder)
    try:
        for item in items:
            name = safe_name(item.name)
            if not name.lower().endswith(ALLOWED_SUFFIXES):
                staged.rejected.append(
                    (name, "نوع ملف غير مدعوم (المقبول: " + " ".join(ALLOWED_SUFFIXES) + ")")
                )
                continue
            target = (folder / name).resolve()
            if target.parent != folder:  # cannot happen after safe_name; checked regardless
                staged.rejected.append((name, "اسم ملف غير صالح"))
                continue
            if target.exists():
                staged.rejected.append((name, "اسم مكرر في هذا الرفع"))
                continue
            shutil.copyfile(item.path, target)
            staged.files.append(target)
            staged.names[str(target)] = name
    except BaseException:
        staged.cleanup()
        raise
    log.info(
        "staged %d upload(s) in %s (%d rejected)", len(staged.files), folder, len(staged.rejected)
    )
    return staged
