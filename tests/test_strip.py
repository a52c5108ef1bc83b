import json

import pytest

from tools import strip


def notebook():
    out = {"output_type": "stream", "name": "stdout", "text": ["42\n"]}
    res = {"output_type": "execute_result", "execution_count": 7, "data": {"text/plain": ["3"]}, "metadata": {}}
    return {
        "metadata": {"kernelspec": {"name": "python3"}, "widgets": {"state": {}}},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# t"},
            {"cell_type": "code", "execution_count": 3, "metadata": {"tags": ["parameters"], "execution": {"t": 1}},
             "outputs": [out], "source": "x = 1"},
            {"cell_type": "code", "execution_count": 4, "metadata": {"tags": ["keep_output"], "long_cell": "why"},
             "outputs": [out, res], "source": "# NBVAL_CHECK_OUTPUT\nprint(42)"},
        ],
    }


def test_strip_removes_every_output_and_keeps_tags():
    nb = strip.strip_notebook(notebook())
    plain, tagged = nb["cells"][1:]
    for cell in (plain, tagged):
        assert cell["outputs"] == [] and cell["execution_count"] is None
    assert plain["metadata"] == {"tags": ["parameters"]}
    assert tagged["metadata"] == {"tags": ["keep_output"], "long_cell": "why"}  # tags survive, outputs do not
    assert "widgets" not in nb["metadata"] and nb["metadata"]["kernelspec"] == {"name": "python3"}


def test_strip_file_is_idempotent_and_check_changes_nothing(tmp_path):
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(notebook()))
    assert strip.strip_file(path, check=True) is True
    assert json.loads(path.read_text()) == notebook()
    assert strip.strip_file(path) is True
    assert strip.strip_file(path) is False
    assert strip.main(["--check", str(path)]) == 0


def test_strip_rejects_non_notebooks():
    with pytest.raises(ValueError, match="cells"):
        strip.strip_notebook({"nope": 1})
