"""HTML from Jinja2 templates shipped as package data, with every interpolated value escaped.

The report (:mod:`driftwatch.report.page`) and the alert email (:mod:`driftwatch.alerts.email`)
show names that come from the data — feature names, category labels, reasons — so their HTML is
never built by string formatting: a template's ``{{ value }}`` is autoescaped, and the only things
that go in unescaped are the package's own files (:func:`static`: CSS and scripts) and values a
template explicitly turns into JSON with ``|tojson`` (which escapes ``<``, ``>``, ``&`` and ``'``,
so nothing in it can close a ``<script>``).

A low-level module: it imports jinja2 and nothing of driftwatch, so any layer may use it.
"""

from __future__ import annotations

from importlib.resources import files

import jinja2
from markupsafe import Markup

__all__ = ["environment", "static"]


def environment(package: str) -> jinja2.Environment:
    """A new Environment over ``package``'s ``templates/`` folder (callers keep theirs).

    Autoescaping is on for every template whatever its name; an undefined name is an error rather
    than an empty string; block tags leave no blank lines behind. ``|tojson`` writes compact JSON
    in the order it was built (Jinja's default sorts keys and pads separators).
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.policies["json.dumps_kwargs"] = {"separators": (",", ":")}
    return env


def static(package: str, name: str) -> Markup:
    """The text of ``package``'s ``static/name``, marked safe to inline (a style or a script).

    Only for the package's own files: they are trusted code, not data, and go into the page as is.
    """
    return Markup(files(package).joinpath("static", name).read_text(encoding="utf-8"))
