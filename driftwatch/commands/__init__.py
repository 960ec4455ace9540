"""The command layer: one module per ``driftwatch`` command, one typed function and result each.

Each function validates its input, does the work through the store, the alerts or the scheduler,
and returns typed values or pandas DataFrames; none prints. Users import them from
:mod:`driftwatch.api`; ``driftwatch/cli`` parses arguments, calls them and renders the result.
This ``__init__`` imports nothing, so ``driftwatch validate`` loads only its own command.
"""
