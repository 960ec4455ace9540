"""The command layer behind :mod:`driftwatch.api`: one typed function per CLI command.

Private: import the functions from :mod:`driftwatch.api`. Each function validates its input,
does the work through the store, the alerts or the scheduler, and returns typed values or pandas
DataFrames; none prints. ``driftwatch/cli`` parses arguments, calls them and renders the result.
"""
