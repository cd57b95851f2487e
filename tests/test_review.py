"""The review against known AI-generated solutions (autograder/staff/review.py), on a hand-made OUT: no grading here.

OUT holds what grade-export leaves: export/submission_<id>/ (the files as taken), results/<id>.json
(only their presence matters here) and submitters.json. The known folder holds a machine-written
solution with its names changed and comments added. The page is read as headless Chromium builds it,
where chromium is installed (`make test` installs it).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, STENCIL_NOTEBOOK, SUBMISSIONS
from test_class_report import Dom, render

from autograder.staff import review, similarity
from autograder.submission import graded_source

REFERENCE = REPO / "solution" / "language_model.py"
HOSTILE = "</script><img src=x onerror=alert(1)><script>alert(2)</script>"
HOSTILE_FILE_NAME = "<img src=x onerror=alert(3)>.py"
# submission id -> (file it holds, submitters (sid, name, email))
CLASS = {
    "201": (REFERENCE, [("s1", "Ada Lovelace", "ada@example.edu")]),
    "202": (SUBMISSIONS / "bugs" / "lstm_input_forget_swapped.py", [("s2", "Alan Turing", "a@example.edu"),
                                                                     ("s3", "Grace Hopper", "g@example.edu")]),
    "203": (SUBMISSIONS / "equivalent" / "tensorarray_loop.py", [("s4", f"Eve {HOSTILE}", "eve@example.edu")]),
    "204": (STENCIL_NOTEBOOK, [("s5", "Untouched Stencil", "st@example.edu")]),
    "205": (SUBMISSIONS / "bugs" / "rnn_concat_order_swapped.py", [("s6", "Not In Roster", "n@example.edu")]),
}
UNGRADED = "206"  # staged but with no results.json: not part of the review
ROSTER = [("sid", "year", "program"), ("s1", "2", "CS"), ("s2", "3", "Math"), ("s3", "2", "CS"), ("s4", "3", "CS"),
          ("s5", "2", "CS")]
FORBIDDEN_WORDS = ("cheat", "plagiar", "suspect", "guilty", "flagged", "violation", "offender")


def renamed(source: str, names: list[str]) -> str:
    """An assistant's answer: the same code with other variable names and comments."""
    for index, name in enumerate(names):
        source = re.sub(rf"\b{name}\b", f"value_{index}", source)
    return "\n".join(line + ("  # step" if line.strip().startswith("return") else "") for line in source.splitlines())


@pytest.fixture(scope="module")
def class_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    out, known = root / "out", root / "known"
    (out / "results").mkdir(parents=True)
    people = {}
    for key, (source, members) in CLASS.items():
        folder = out / "export" / f"submission_{key}"
        folder.mkdir(parents=True)
        shutil.copy(source, folder / (HOSTILE_FILE_NAME if key == "205" else source.name))
        (out / "results" / f"{key}.json").write_text("{}")
        people[key] = [{"sid": sid, "name": name, "email": email} for sid, name, email in members]
    (out / "export" / f"submission_{UNGRADED}").mkdir()
    shutil.copy(REFERENCE, out / "export" / f"submission_{UNGRADED}" / "language_model.py")
    (out / "submitters.json").write_text(json.dumps(people))
    known.mkdir()
    stencil = similarity.Stencil(STENCIL_NOTEBOOK)
    own_names = sorted(similarity.names_in(REFERENCE.read_text()) - stencil.names)
    (known / "assistant_1.py").write_text(renamed(REFERENCE.read_text(), own_names))
    shutil.copy(STENCIL_NOTEBOOK, known / "stencil_as_given.ipynb")  # no code of its own: left out, and said
    (known / "notes.txt").write_text("not code")
    with open(root / "roster.csv", "w", newline="") as file:
        csv.writer(file).writerows(ROSTER)
    return out, known, root / "roster.csv"


def similarity_to(source: Path, known: Path) -> float:
    stencil = similarity.Stencil(STENCIL_NOTEBOOK)
    return similarity.jaccard(stencil.code(graded_source(source), "a").ngrams(),
                              stencil.code(graded_source(known), "b").ngrams())


@pytest.fixture(scope="module")
def page(class_out):
    out, known, _ = class_out
    assert review.main(["--out", str(out), "--known", str(known)]) == 0
    return out / "review.html"


def summary(text: str, key: str) -> str:
    return re.search(rf'<details class="entry" id="s-{key}"[^>]*><summary>(.*?)</summary>', text).group(1)


def entries(text: str) -> list[tuple[str, float]]:
    """(submission id, similarity shown) in the page's order."""
    return [(key, float(value)) for key, value in re.findall(r'<details class="entry" id="s-(\d+)" data-similarity="([0-9.]+)"', text)]


def test_submissions_are_ranked_by_their_closest_known_solution(page, class_out):
    out, known, _ = class_out
    ranked = entries(page.read_text())
    assert [key for key, _ in ranked] == sorted(["201", "202", "203", "205"], key=lambda k: -dict(ranked)[k])
    assert ranked[0] == ("201", 1.0)  # renaming and re-commenting hide nothing
    for key, shown in ranked:
        assert shown == pytest.approx(similarity_to(CLASS[key][0], known / "assistant_1.py"), abs=1e-4)
    assert dict(ranked)["203"] < similarity.THRESHOLD  # a rewrite of both recurrent layers is far from it
    text = page.read_text()
    assert "closest: assistant_1.py, identical, 60 of 60 own lines the same" in summary(text, "201")  # renamed, not the same bytes
    same, total = map(int, re.search(r"near-identical, (\d+) of (\d+) own lines the same", summary(text, "202")).groups())
    assert dict(ranked)["202"] > 0.95 and same == total - 1  # one line changed: told apart from a copy
    assert UNGRADED not in dict(ranked)


def test_what_was_not_compared_is_said(page):
    text = page.read_text()
    assert "Untouched Stencil (204)" in text and f"fewer than {similarity.MIN_NGRAMS}" in text
    assert "stencil_as_given.ipynb: fewer than" in text  # a known file with no code of its own
    assert "notes.txt" not in text


def test_the_page_says_similarity_is_not_proof_and_labels_no_one(page):
    text = page.read_text()
    assert "Similarity is not proof" in text
    for source in ("stencil", "pseudo-code", "short functions every correct solution shares"):
        assert source in text
    lowered = text.lower()
    assert not [word for word in FORBIDDEN_WORDS if word in lowered]


def test_hostile_names_and_code_are_text(page):
    text = page.read_text()
    assert "<script" not in text and "<img" not in text
    assert html_escaped(f"Eve {HOSTILE}") in text
    assert html_escaped(f"Not In Roster (205): {HOSTILE_FILE_NAME}") in text  # the file name heads its side


def html_escaped(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;").replace("'", "&#x27;")


def test_a_roster_column_groups_the_review(class_out):
    out, known, roster = class_out
    assert review.main(["--out", str(out), "--known", str(known), "--roster", str(roster), "--by", "year"]) == 0
    text = (out / "review.html").read_text()
    headings = re.findall(r"<h2>year: (.*?) \((\d+)\)</h2>", text)
    assert headings == [("2", "1"), ("2 / 3", "1"), ("3", "1"), (review.NOT_IN_ROSTER, "1")]  # 202 is a group of years 3 and 2
    order = [key for key, _ in entries(text)]
    assert order == ["201", "202", "203", "205"]


def test_the_command_refuses_what_it_cannot_use(class_out, tmp_path, capsys):
    out, known, roster = class_out
    with pytest.raises(SystemExit):
        review.main(["--out", str(out), "--known", str(known), "--roster", str(roster)])
    assert "--roster and --by go together" in capsys.readouterr().err
    assert review.main(["--out", str(out), "--known", str(known), "--roster", str(roster), "--by", "major"]) == 2
    assert "no column 'major'" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert review.main(["--out", str(out), "--known", str(empty)]) == 2
    assert "holds no .py or .ipynb file" in capsys.readouterr().err


def test_the_page_renders_offline_side_by_side_in_a_browser(page):
    dom = Dom(render(page))
    shown = "".join(dom.text)
    assert "Similarity is not proof" in shown and f"Eve {HOSTILE}" in shown and HOSTILE_FILE_NAME in shown
    for tag, attrs in dom.attributes:
        assert tag not in ("script", "link", "iframe", "img", "object"), (tag, attrs)
        assert not any(name.startswith("on") for name in attrs)
        for name in ("src", "href"):
            assert not attrs.get(name) or attrs[name].startswith("#"), (tag, attrs)
    details = [attrs for tag, attrs in dom.attributes if tag == "details"]
    assert len(details) == 4
    assert dom.tags.get("pre", 0) > 100  # the code of both sides
