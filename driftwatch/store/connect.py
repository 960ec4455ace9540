"""Which results database a command uses, and opening it for writing or for reading only.

A command names its database with ``database`` (``--database``) or through the config's
``database`` key. Writing commands migrate a brand-new database; reading commands
(:func:`open_readonly_store`) never create or migrate one: a mistyped URL is one error line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from driftwatch.config import Config, load_config
from driftwatch.errors import redact_url
from driftwatch.store.repository import Store

__all__ = [
    "ConfigLike",
    "Database",
    "as_config",
    "database_of",
    "open_readonly_store",
    "open_store",
]

ConfigLike = Config | str | os.PathLike[str]
"""A loaded :class:`Config`, or the path of a YAML config file."""


def as_config(config: ConfigLike) -> Config:
    return config if isinstance(config, Config) else load_config(Path(config))


@dataclass(frozen=True)
class Database:
    """A results database URL and how the user named it (for the fixes in error messages)."""

    url: str
    config_hint: str
    """The option that names this database again: ``--config FILE`` or ``--database URL``."""
    origin: str
    """Where the URL came from: ``--database`` or the config file's ``database`` key."""

    @property
    def shown(self) -> str:
        """The URL with its password redacted."""
        return redact_url(self.url)


def _of_config(config: Config) -> Database:
    if config.source_file is None:
        return Database(config.database, "--config FILE", "the config's 'database' key")
    return Database(
        config.database,
        f"--config {config.source_file}",
        f"the 'database' key of {config.source_file}",
    )


def database_of(config: ConfigLike | None, database: str | None = None) -> Database:
    """``database`` when given (the config is then not read), else the config's ``database``."""
    if database:
        return Database(database, "--database URL", "--database")
    if config is None:
        raise TypeError("give a config or a database URL")
    return _of_config(as_config(config))


@contextmanager
def open_store(config: Config, database: str | None = None) -> Iterator[Store]:
    """The store named by ``database`` or the config, migrated if brand new; closed after."""
    target = database_of(config, database)
    # The fix names the config (as `db upgrade` is usually run); where the URL came from is
    # named as given (--database or the config's key).
    hint = _of_config(config).config_hint
    store = Store.open(target.url, config_hint=hint, origin=target.origin)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def open_readonly_store(target: Database) -> Iterator[Store]:
    """The existing store at ``target``, at this driftwatch's schema; nothing created, migrated."""
    store = Store.open_readonly(target.url, config_hint=target.config_hint, origin=target.origin)
    try:
        yield store
    finally:
        store.close()
