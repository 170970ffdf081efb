"""The index layer's errors: one hierarchy under `IndexLayerError`, each message naming the fix."""

from __future__ import annotations


class IndexLayerError(Exception):
    """Base class of everything the index layer raises on purpose (reading, models, the store)."""


class ReadError(IndexLayerError, ValueError):
    """An input path that cannot be read at all (missing, or holds no supported file)."""


class NoArticlesError(ReadError):
    """None of the given paths held an article that could be read."""


class DocumentNotFound(IndexLayerError, KeyError):
    """Article ids that are not in the index (nothing was changed)."""

    def __str__(self) -> str:
        """The message itself (a `KeyError` would show its repr)."""
        return str(self.args[0]) if self.args else ""


class ModelLoadError(IndexLayerError, RuntimeError):
    """The embedding model cannot be found, built or loaded."""


class ModelError(IndexLayerError, RuntimeError):
    """The default model folder cannot be built, verified or trusted."""


class IndexStoreError(IndexLayerError, RuntimeError):
    """Base class of index problems; the message names the fix."""


class IndexMissingError(IndexStoreError):
    """No index in the folder."""


class IndexCorruptError(IndexStoreError):
    """The index files are damaged or inconsistent."""


class IndexMismatchError(IndexStoreError):
    """The index was built with another model, splitter or format."""


class IndexBusyError(IndexStoreError):
    """Another writer holds the index lock."""


class StoreConnectionError(IndexStoreError):
    """The index database cannot be reached (bad address, server down, wrong credentials)."""


class StoreSetupError(IndexStoreError):
    """The index database lacks something akhbar needs (an extension, a permission)."""
