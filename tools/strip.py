"""Strip notebook outputs before committing.

Every code cell loses its outputs and execution count: chapters ship with no
outputs at all (values that must not drift are asserted in the cells, not kept
as nbval reference outputs). Tags and other cell metadata (``parameters``,
``bootstrap``, nbgrader, ``long_cell``) are kept; run-time metadata (timings,
widget state, scroll state) is dropped.

Usage::

    python -m tools.strip notebooks/*.ipynb      # in place; prints what changed
    python -m tools.strip --check notebooks/*.ipynb   # exit 1 if any would change

Unlike nbstripout, it needs nothing beyond the standard library, and its
``--check`` mode is what the pre-commit hook and the tests use.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

_RUNTIME_CELL_KEYS = ("execution", "collapsed", "scrolled", "ExecuteTime")
_RUNTIME_NB_KEYS = ("widgets",)


def strip_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """Return ``nb`` with outputs stripped as described in the module docstring.

    Raises:
        ValueError: if ``nb`` does not look like a notebook (no ``cells`` list).
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("expected a notebook: a JSON object with a 'cells' list")
    for key in _RUNTIME_NB_KEYS:
        nb.get("metadata", {}).pop(key, None)
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        for key in _RUNTIME_CELL_KEYS:
            meta.pop(key, None)
        if cell.get("cell_type") != "code":
            continue
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def dumps(nb: dict[str, Any]) -> str:
    """Serialise the way Jupyter does (one-space indent, UTF-8, final newline)."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def strip_file(path: Path, check: bool = False) -> bool:
    """Strip one notebook in place (or only compare, with ``check``). True if it changed."""
    text = path.read_text(encoding="utf-8")
    new = dumps(strip_notebook(json.loads(text)))
    if new != text and not check:
        path.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs stripping")
    args = parser.parse_args(argv)
    changed = [p for p in args.notebooks if strip_file(p, check=args.check)]
    for p in changed:
        print(f"{'needs stripping' if args.check else 'stripped'}: {p}")
    return 1 if (changed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
