"""Index stores, one backend per module, chosen by `make_store` from `StoreSettings`."""

from __future__ import annotations

from pathlib import Path

from index.config import StoreSettings
from index.errors import StoreConnectionError
from index.protocols import Store


def make_store(settings: StoreSettings, index_dir: Path) -> Store:
    """The store the settings choose (cheap: nothing is opened or imported heavily yet).

    Args:
        settings: The store settings.
        index_dir: The index folder (used by the `faiss` backend).

    Returns:
        The store.

    Raises:
        StoreConnectionError: `postgres` without a connection string.
    """
    if settings.backend == "postgres":
        from index.stores.postgres import PostgresStore

        dsn = settings.dsn.get_secret_value()
        if not dsn:
            raise StoreConnectionError(
                "AKHBAR_STORE__BACKEND is postgres but AKHBAR_STORE__DSN is empty; set it to "
                "`postgresql://user:password@host:port/database` (`make postgres` prints a local one)"
            )
        return PostgresStore(
            dsn,
            schema=settings.schema_name,
            lock_timeout=settings.lock_timeout_s,
            ef_search=settings.hnsw_ef_search,
        )
    from index.stores.faiss_store import IndexStore

    return IndexStore(index_dir, lock_timeout=settings.lock_timeout_s)
