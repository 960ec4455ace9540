"""Alerts: the lifecycle (firing / repeat / escalated / resolved), the outbox dispatcher, sinks.

    run → apply_run (in the run's transaction): observations → decide → store.alerts rows
        + payload → store.outbox rows
    dispatch_pending → a sink (log, webhook, slack, email) → store.outbox settles the row

``decide`` (:mod:`.lifecycle`) is pure and imports no SQL; every SQL statement is the store's
(:mod:`driftwatch.store.alerts`, :mod:`driftwatch.store.outbox`). See the docs' "Alerts" page for
the config, the payload and how to verify webhook signatures.
"""

# Exports nothing: import from the submodules, so that importing the pure lifecycle does not
# load the sinks, the outbox and SQLAlchemy.
