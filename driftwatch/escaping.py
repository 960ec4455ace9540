"""Data on its way out: one escaping rule per place it is shown, each applied once, at that edge.

Feature names, category values, bin labels and reasons come from the data, and data can hold
anything: a terminal escape sequence that clears the screen or retitles the window, a CR/LF that
forges a log line or an email header, a right-to-left override or a zero-width space that makes
text read other than it is, Slack's ``<!channel>``. Each function here makes a value safe for one
target:

- :func:`terminal`: a CLI line (tables, notes, error lines);
- :func:`log_line`: a text log line (one record, one line);
- :func:`email_header`: an email header value (the ``Subject``);
- :func:`slack_mrkdwn`: text inside a Slack mrkdwn block;
- :func:`prometheus_label`: a Prometheus label value.

"Hidden" characters are those that control or hide rather than show: the C0 and C1 controls and
DEL (Unicode category Cc), the format characters (Cf: bidi overrides and isolates, zero-width
space/joiners, the byte-order mark, soft hyphen), lone surrogates (Cs) and the line and paragraph
separators (Zl, Zp). They are shown as their Python escape (``\\x1b``, ``\\u202e``), so a reader
sees that they are there; every other character is kept, and a value without hidden characters
comes back unchanged. A result holds no hidden character, so escaping it again for the same
target changes nothing (except Slack's entities: ``&`` becomes ``&amp;`` every time, so a value is
escaped once, where it is put in the message).

Machine formats are not escaped here: JSON (the webhook and PagerDuty bodies, ``--log-format
json``, ``--format json``) escapes every control character itself and keeps the exact value.

Low layer: stdlib only, imports nothing of driftwatch.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

__all__ = ["email_header", "log_line", "prometheus_label", "slack_mrkdwn", "terminal"]

_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

_AS_SPACE = dict.fromkeys("\t\n\r\u2028\u2029", " ")
"""Line breaks and tabs in a one-line display: a space, as the text would read."""

_AS_ESCAPE = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
"""Line breaks and tabs in a log line: their visible escape, so a forged line shows as one."""


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _shown(text: object, breaks: Mapping[str, str]) -> str:
    value = str(text)
    if value.isprintable():  # the common case, at C speed: no hidden character at all
        return value
    return "".join(
        breaks.get(c) or (_escape(c) if unicodedata.category(c) in _HIDDEN else c) for c in value
    )


def terminal(text: object) -> str:
    """``text`` on one line of a terminal: a tab or line break becomes a space, any other hidden
    character (ESC, BEL, NUL, DEL, C1, bidi overrides, zero-width marks) its escape."""
    return _shown(text, _AS_SPACE)


def log_line(text: object) -> str:
    """``text`` inside one text log line: every hidden character shown as its escape, CR, LF and
    tab as ``\\r``, ``\\n`` and ``\\t``, so a value can neither start a record of its own nor
    hide part of one."""
    return _shown(text, _AS_ESCAPE)


def email_header(text: object) -> str:
    """``text`` as an email header value: one line, no CR/LF (the email package refuses a header
    holding one), hidden characters escaped as on a terminal (an RTL override in a Subject is a
    classic disguise). Non-ASCII is left to the email package, which encodes it (RFC 2047)."""
    return _shown(text, _AS_SPACE)


def slack_mrkdwn(text: object) -> str:
    """``text`` inside Slack mrkdwn: one line, hidden characters escaped, ``&``, ``<`` and ``>``
    as entities (so ``<!channel>``, ``<!here>`` and ``<@U123>`` are text, not mentions, and no
    ``<url|label>`` link can be made) and a backtick as ``ˋ`` (U+02CB), so a value can neither
    open nor close a code span. Names from the data go inside a code span, where ``*``, ``_`` and
    ``~`` do not format, and where a bare ``@here`` is not a mention either."""
    shown = _shown(text, _AS_SPACE)
    shown = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return shown.replace("`", "\u02cb")


def prometheus_label(text: object) -> str:
    """``text`` as a Prometheus label value: hidden characters escaped as in a log line.

    ``promtool check metrics`` accepts any UTF-8 in a label value, and prometheus_client escapes
    ``\\``, ``"`` and LF itself; but raw control bytes in the exposition reach the terminal of
    whoever prints it (``driftwatch metrics``), click strips ANSI colour codes from it when piped
    (the label would differ between a pipe and a terminal), and a lone surrogate cannot be encoded
    at all. Escaped, the label is the same on every path: scrape, push and textfile."""
    return _shown(text, _AS_ESCAPE)
