import pytest

from tools import sections


def test_replace_section_rewrites_only_between_the_markers(tmp_path):
    path = tmp_path / "doc.md"
    path.write_text("intro\n<!-- a -->\nold\n<!-- b -->\noutro\n")
    assert sections.replace_section(path, "<!-- a -->", "<!-- b -->", "new\n")
    assert path.read_text() == "intro\n<!-- a -->\nnew\n<!-- b -->\noutro\n"
    assert not sections.replace_section(path, "<!-- a -->", "<!-- b -->", "new\n")  # already current
    path.write_text("no markers")
    with pytest.raises(ValueError, match="no <!-- a -->"):
        sections.replace_section(path, "<!-- a -->", "<!-- b -->", "x")
