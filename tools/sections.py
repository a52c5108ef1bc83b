"""Generated sections of Markdown files: the text between two HTML-comment markers.

The runner keeps README.md's results table this way, and the release keeps the
instructor guide's exercise tables; both go through :func:`replace_section`.
"""

from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, start: str, end: str, body: str) -> bool:
    """Put ``body`` between the ``start`` and ``end`` markers of ``path``; return whether it changed.

    Raises:
        ValueError: if the file lacks either marker.
    """
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} section")
    head, rest = text.split(start, 1)
    new = f"{head}{start}\n{body}{end}{rest.split(end, 1)[1]}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
