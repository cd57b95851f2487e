"""The student's side: the notebook's first cell prepares Colab or a laptop without replacing what is there,
and the checker tells a broken environment from a bug in the student's code.

Platforms are faked, never installed: a venv holding tiny wheels that play tensorflow, numpy and the
rest (pip runs offline from a folder of them), or a folder on PYTHONPATH that shadows a real package.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.package.check import NEEDS
from autograder.package.export_checker import student_requirements
from conftest import REFERENCE_NOTEBOOK, REPO, STENCIL_NOTEBOOK

STENCIL = REPO / "stencil"
PINS = dict(line.split("==") for line in student_requirements().splitlines()
            if "==" in line and not line.startswith("#"))
PLATFORM = {"tensorflow": "2.20.0", "numpy": "1.26.4", "psutil": "5.9.5"}  # what Colab had; the rest is missing


def first_cell() -> str:
    cells = [cell.source for cell in nbformat.read(STENCIL / "language_model.ipynb", as_version=4).cells
             if cell.cell_type == "code"]
    assert "prepare_environment()" in cells[0], "the notebook's first code cell prepares the environment"
    return cells[0]


def fake_wheel(folder: Path, package: str, version: str, requires=()) -> None:
    """A wheel of `package` whose module only knows its version."""
    module = {package: module for module, package in NEEDS.items()}[package]
    dist = f"{package.replace('-', '_')}-{version}"
    files = {f"{module}/__init__.py": f"__version__ = {version!r}\n",
             f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n"
                                           + "".join(f"Requires-Dist: {requirement}\n" for requirement in requires),
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    files[f"{dist}.dist-info/RECORD"] = "".join(f"{path},,\n" for path in files) + f"{dist}.dist-info/RECORD,,\n"
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)


def offline_pip(wheelhouse: Path) -> dict:
    """An environment in which pip reads no configuration and installs only from wheelhouse."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "PYTHON"))}
    return dict(environment, PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheelhouse),
                PIP_DISABLE_PIP_VERSION_CHECK="1")


def platform(tmp_path: Path, requires: dict) -> tuple[Path, dict]:
    """A venv with the fake PLATFORM installed, and a wheelhouse with every pinned version (the tempting newer
    tensorflow and numpy too); requires adds dependencies to a pinned package. Returns its python and pip's environment."""
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    for package, version in [*PINS.items(), *PLATFORM.items()]:
        fake_wheel(wheelhouse, package, version, requires.get(package, ()) if version == PINS.get(package) else ())
    environment = offline_pip(wheelhouse)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", *(f"{p}=={v}" for p, v in PLATFORM.items())],
                   env=environment, check=True)
    return python, environment


def installed(python: Path) -> dict:
    listing = "import importlib.metadata as m; print('\\n'.join(f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()))"
    lines = subprocess.run([python, "-c", listing], capture_output=True, text=True, check=True).stdout.split()
    return dict(line.split("==") for line in lines)


def run_cell(python: Path, cwd: Path, environment: dict, source: str = None):
    return subprocess.run([python, "-c", source or first_cell()], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture
def homework(tmp_path, students_folder):
    """A copy of the stencil, as a student unpacks it from dist/stencil.zip."""
    folder = tmp_path / "stencil"
    shutil.copytree(students_folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_the_first_cell_installs_what_is_missing_at_its_pin_and_replaces_nothing(tmp_path, homework):
    python, environment = platform(tmp_path, requires={"matplotlib": ["numpy>=1.23"]})
    before = installed(python)
    done = run_cell(python, homework, environment)
    assert done.returncode == 0, done.stdout + done.stderr
    after = installed(python)
    assert {package: after[package] for package in PLATFORM} == PLATFORM, "the platform's packages stay as they were"
    assert {package: version for package, version in after.items() if package not in before} == {
        package: PINS[package] for package in NEEDS.values() if package not in PLATFORM}
    assert "Ready in" in done.stdout and "tensorflow 2.20.0" in done.stdout
    again = run_cell(python, homework, environment)  # nothing missing any more: pip does not run
    assert again.returncode == 0 and "Installing" not in again.stdout and installed(python) == after


def test_the_first_cell_refuses_to_upgrade_what_is_installed(tmp_path, homework):
    python, environment = platform(tmp_path, requires={"jsonschema": ["numpy>=2"]})  # a naive pip upgrades numpy
    done = run_cell(python, homework, environment)
    assert done.returncode != 0
    assert "EnvironmentProblem: pip could not install" in done.stderr and "jsonschema==" in done.stderr
    assert installed(python)["numpy"] == PLATFORM["numpy"]


def test_on_colab_the_first_cell_unpacks_the_uploaded_zip_and_works_in_it(tmp_path, stencil_zip):
    """Colab: the notebook starts in /content without the homework; the student picks stencil.zip in the upload dialog."""
    content, uploads = tmp_path / "content", tmp_path / "downloads"
    content.mkdir(), uploads.mkdir()
    shutil.copy(stencil_zip, uploads / "stencil.zip")
    colab = tmp_path / "colab"  # google.colab.files.upload(): saves the chosen file in the working folder
    (colab / "google" / "colab").mkdir(parents=True)  # google/ stays a namespace package, as protobuf's is
    (colab / "google" / "colab" / "__init__.py").write_text("")
    (colab / "google" / "colab" / "files.py").write_text(
        f"import shutil\ndef upload():\n    shutil.copy({str(uploads / 'stencil.zip')!r}, 'stencil.zip')\n"
        "    return {'stencil.zip': b''}\n")
    cell = first_cell().replace('"/content', f'"{content}')
    assert cell != first_cell()
    source = (f"import sys; sys.path.insert(0, {str(colab)!r}); import google.colab\n{cell}\n"
              "import os; print('working in', os.getcwd())")
    done = run_cell(Path(sys.executable), content, dict(os.environ), source)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"working in {content / 'stencil'}" in done.stdout and "Ready in" in done.stdout
    assert (content / "stencil" / "data" / "vocab.txt").is_file()


def test_the_first_cell_outside_the_homework_folder_says_where_to_open_the_notebook(tmp_path):
    done = run_cell(Path(sys.executable), tmp_path, dict(os.environ))
    assert "FileNotFoundError: check.py is not in" in done.stderr and "open this notebook from the homework's folder" in done.stderr


def check(cwd: Path, shim: Path = None, notebook: Path = STENCIL_NOTEBOOK):
    """`python check.py NOTEBOOK windows`; by default on the stencil, whose TODO fails the check: only a check that
    did not pass probes the imports (the shims on PYTHONPATH never reach the judge's child, which runs isolated)."""
    environment = dict(os.environ, PYTHONPATH=str(shim)) if shim else dict(os.environ)
    return subprocess.run([sys.executable, "check.py", str(notebook), "windows"], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=600)


def said_environment_problem(finished) -> str:
    assert finished.returncode == 2, finished.stdout + finished.stderr
    assert "This is a problem with your Python environment, not with your code." in finished.stdout
    assert "your code ended the process" not in finished.stdout
    return finished.stdout


@pytest.mark.parametrize("module, shim, says", [
    ("tensorflow", "raise ImportError('_pywrap_tensorflow_internal.so: undefined symbol: _ZN4absl12lts_20250512')",
     "cannot import tensorflow: ImportError: _pywrap_tensorflow_internal.so: undefined symbol"),
    ("numpy", "raise ImportError('A module that was compiled using NumPy 1.x cannot be run in NumPy 2.2.6')",
     "cannot import numpy: ImportError: A module that was compiled using NumPy 1.x"),
    ("tensorflow", "import os; os._exit(132)", "cannot import tensorflow: importing it ended Python (exit status 132)"),
    ("gradescope_utils", "raise ModuleNotFoundError(\"No module named 'gradescope_utils'\")", "cannot import gradescope_utils"),
], ids=["tensorflow-undefined-symbol", "numpy-abi", "tensorflow-crash", "missing-package"])
def test_the_checker_blames_an_environment_that_cannot_import(tmp_path, students_folder, module, shim, says):
    (tmp_path / module).mkdir()
    (tmp_path / module / "__init__.py").write_text(shim + "\n")
    said = said_environment_problem(check(students_folder, tmp_path))
    assert says in said and "requirements.txt" in said


def test_a_check_that_passes_probes_no_import(tmp_path, students_folder):
    """The judge's child imported TensorFlow to pass the check: a probe in a fresh Python would start it a second
    time (issue 20, item 7). A probe would import this tensorflow, which fails, and blame the environment."""
    (tmp_path / "tensorflow").mkdir()
    (tmp_path / "tensorflow" / "__init__.py").write_text("raise ImportError('a probe imported tensorflow')\n")
    finished = check(students_folder, tmp_path, notebook=REFERENCE_NOTEBOOK)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "1 of 1 visible tests pass" in finished.stdout and "a probe imported" not in finished.stdout


def test_the_checker_names_two_builds_of_tensorflow(tmp_path, students_folder):
    """Colab's tensorflow with tensorflow-cpu laid over it (pip install -r requirements.txt did that)."""
    info = tmp_path / "tensorflow-2.20.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: tensorflow\nVersion: 2.20.0\n")
    said = said_environment_problem(check(students_folder, tmp_path))
    assert "Two builds of TensorFlow are installed" in said and "tensorflow 2.20.0" in said and "2.21.0" in said


def test_the_checker_names_missing_data(homework):
    (homework / "data" / "vocab.txt").unlink()
    said = said_environment_problem(check(homework))
    assert "`data/`" in said and "lacks vocab.txt" in said


def test_training_times_say_how_far_they_carry_when_this_python_trains_with_other_versions_than_gradescope(students_folder):
    """Keras 3.15 trained the reference in about half the CPU-seconds of Gradescope's 3.12: a local time that fits
    may not fit there, so the timer names what differs and leaves room for it."""
    from autograder.training_time import Estimate, other_versions, trust_note

    graded_with = json.loads((students_folder / "checker" / "config.json").read_text())["graded_with"]
    assert graded_with == {"tensorflow": PINS["tensorflow"], "keras": PINS["keras"], "numpy": PINS["numpy"]}
    assert other_versions(graded_with) == [], "this project's environment has Gradescope's versions"
    differ = other_versions(dict(graded_with, keras="3.15.1"))
    assert differ == [f"keras {PINS['keras']} (Gradescope: 3.15.1)"], "only what differs is named"
    note = trust_note(150, differ)
    assert "keras" in note and "above 42 CPU-seconds here your training may run out of time there" in note
    same, other = Estimate(150, epoch_cpu_seconds=15, epochs=4), Estimate(150, epoch_cpu_seconds=15, epochs=4,
                                                                          other_versions=tuple(differ))
    assert same.verdict == "fits" and other.verdict == "close" and other.epochs_that_fit == 2


@pytest.mark.skipif(os.geteuid() != 0, reason="only root runs student code as another user")
def test_as_root_with_python_in_a_private_folder_the_checker_says_why_and_what_to_change(tmp_path, students_folder):
    """A pyenv under /root (mode 0700), as root: the sandbox user cannot start this Python. The checker said only
    "Not graded: the autograder failed (see the top of this page)", with nothing at the top."""
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    python = private / "venv" / "bin" / "python"
    subprocess.run([Path(sys.base_prefix) / "bin" / "python3", "-m", "venv", "--without-pip", str(private / "venv")],
                   check=True)
    site_packages = next((private / "venv" / "lib").glob("python3*/site-packages"))
    (site_packages / "kit.pth").write_text(next(p for p in sys.path if p.endswith("site-packages")) + "\n")
    finished = subprocess.run([python, "check.py", str(REFERENCE_NOTEBOOK), "windows"], cwd=students_folder,
                              capture_output=True, text=True, timeout=600)
    assert finished.returncode == 2, finished.stdout + finished.stderr
    said = finished.stdout
    assert "The checker cannot run your code as another user. You run Python as root" in said
    assert re.search(rf"chmod o\+x [^`]*{private}`", said) and "as an ordinary user, not root" in said
    assert "see the top of this page" not in said and "visible tests pass" not in said


def test_in_a_kernel_that_imported_everything_the_checker_probes_no_import_again(monkeypatch, students_folder):
    """The notebook's kernel has imported TensorFlow by the time a part is checked: a probe in a fresh Python
    would pay TensorFlow's start-up a second time (about 4 CPU-seconds on an AMD EPYC) to learn nothing."""
    import importlib.util
    import types

    spec = importlib.util.spec_from_file_location("students_check_probe", students_folder / "check.py")
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    for module in NEEDS:
        if module not in sys.modules:
            monkeypatch.setitem(sys.modules, module, types.ModuleType(module))

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"a probe ran: {args}")

    monkeypatch.setattr(check.subprocess, "run", no_subprocess)
    assert check.environment_problem() is None
