"""driftwatch's version: the one place it is written (the build reads it from here too, through
``[tool.hatch.version]``). Imports nothing: any module may use it, and ``driftwatch --version``
does not scan the installed distributions' metadata (``importlib.metadata``, ~25 ms)."""

__all__ = ["DISTRIBUTION", "__version__"]

__version__ = "0.1.0"

DISTRIBUTION = "driftwatch-monitor"
"""The name this project is installed under (``pip install driftwatch-monitor``, ``pip show``).

It differs from the import name and the command (both ``driftwatch``) because ``driftwatch`` on
PyPI is an unrelated project whose higher version number ``pip install -U`` would swap in."""
