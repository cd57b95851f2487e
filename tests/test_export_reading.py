"""Reading a Gradescope export: every byte is untrusted, and a bad part costs only itself (no grading here)."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
import yaml

from autograder.staff.export import MAX_FILE_BYTES, ExportError, read_export

METADATA = {
    "submission_11": {":submitters": [{":name": "Ada", ":sid": "s1", ":email": "ada@example.edu"}],
                      ":created_at": "2026-10-01 10:00:00 -0400", ":score": 12.5, ":status": "processed",
                      ":results": {"score": 12.5, "tests": [{"number": "1.1", "name": "windows", "score": 2.0, "max_score": 2.0}]}},
    "submission_12": {":submitters": [{":name": "Bo", ":sid": 7, ":email": "bo@example.edu"},
                                      {":name": "=HYPERLINK(\"x\")", ":sid": "s3", ":email": "cy@example.edu"}]},
}


def ruby_yaml(metadata) -> str:
    """As Gradescope writes it: Ruby symbols, i.e. keys like `:name:`."""
    return yaml.safe_dump(metadata, sort_keys=False)


def write_zip(path: Path, members: dict, top: str = "") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(top + name, content)
    return path


def test_a_zip_with_one_top_folder_is_read_with_ruby_symbol_keys(tmp_path):
    export = write_zip(tmp_path / "export.zip", {
        "submission_11/language_model.py": "x = 1\n", "submission_12/sub/language_model.ipynb": "{}",
        "submission_metadata.yml": ruby_yaml(METADATA)}, top="assignment_9_export/")
    assert ":name:" in ruby_yaml(METADATA)
    submissions, notes = read_export(export, tmp_path / "staged")
    assert notes == []
    assert sorted(submissions) == ["11", "12"]
    first, group = submissions["11"], submissions["12"]
    assert (first.folder / "language_model.py").read_text() == "x = 1\n"
    assert (group.folder / "sub" / "language_model.ipynb").is_file()
    assert [(p.sid, p.name, p.email) for p in first.submitters] == [("s1", "Ada", "ada@example.edu")]
    assert [p.sid for p in group.submitters] == ["7", "s3"]
    assert first.recorded_score == 12.5 and first.recorded_tests[0]["number"] == "1.1"
    assert group.recorded_score is None and group.recorded_tests is None


def test_hostile_zip_members_are_refused_and_said(tmp_path):
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("submission_11/language_model.py", "x = 1\n")
        archive.writestr("submission_11/../../escaped.txt", "out")
        archive.writestr("/submission_11/absolute.txt", "out")
        link = zipfile.ZipInfo("submission_11/link.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/shadow")
        archive.writestr("submission_11/huge.bin", b"\0" * (MAX_FILE_BYTES + 1))
        archive.writestr("submission_metadata.yml", ruby_yaml(METADATA))
    submissions, notes = read_export(export, tmp_path / "out" / "staged")
    staged = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert staged == ["export.zip", "out/staged/submission_11/language_model.py"]
    said = "\n".join(submissions["11"].notes + notes)
    for name in ("escaped.txt", "absolute.txt", "link.py", "huge.bin"):
        assert name in said
    assert "submission_12" not in os.listdir(tmp_path / "out" / "staged")
    assert submissions["12"].folder is None and "no folder" in " ".join(submissions["12"].notes)


@pytest.mark.parametrize("metadata", [b"{unclosed: [", b"- just\n- a list\n", b"!!python/object:os.system {}\n",
                                      b"submission_11: 5\n", b"submission_11: {':submitters': 'nobody', ':score': 'NaN'}\n"])
def test_malformed_metadata_costs_only_the_names_and_scores(tmp_path, metadata):
    export = write_zip(tmp_path / "export.zip", {"submission_11/language_model.py": "x = 1\n",
                                                 "submission_metadata.yml": metadata})
    submissions, notes = read_export(export, tmp_path / "staged")
    assert list(submissions) == ["11"]
    assert submissions["11"].submitters == [] and submissions["11"].recorded_score is None
    assert notes or submissions["11"].notes


def test_a_folder_export_takes_regular_files_only(tmp_path):
    export = tmp_path / "export"
    (export / "submission_11").mkdir(parents=True)
    (export / "submission_11" / "language_model.py").write_text("x = 1\n")
    (export / "submission_11" / "secret.py").symlink_to("/etc/passwd")
    (export / "submission_13").mkdir()
    (export / "submission_13" / "language_model.py").write_text("y = 2\n")
    (export / "not_a_submission").mkdir()
    (export / "submission_metadata.yml").write_text(ruby_yaml(METADATA))
    submissions, notes = read_export(export, tmp_path / "staged")
    assert sorted(submissions) == ["11", "12", "13"]
    assert sorted(path.name for path in submissions["11"].folder.iterdir()) == ["language_model.py"]
    assert any("secret.py" in note for note in submissions["11"].notes)
    assert any("not_a_submission" in note for note in notes)
    assert any("no metadata entry" in note for note in submissions["13"].notes)


def test_no_metadata_file_still_grades_every_folder(tmp_path):
    export = write_zip(tmp_path / "export.zip", {"submission_11/a.py": "x = 1\n"})
    submissions, notes = read_export(export, tmp_path / "staged")
    assert list(submissions) == ["11"] and any("submission_metadata.yml" in note for note in notes)


def test_something_else_than_an_export_is_said(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ExportError):
        read_export(tmp_path / "notes.txt", tmp_path / "staged")
    with pytest.raises(ExportError):
        read_export(write_zip(tmp_path / "empty.zip", {"readme.txt": "hi"}), tmp_path / "staged")
