# The life of the assignment, one target per stage:
#   make stencil solution   author -> handout     (assignment/ -> stencil/, solution/)
#   make autograder         build the Gradescope zip (dist/autograder.zip); TIMEOUT=… if not Gradescope's 600 s
#   make grade SUBMISSION=… RESULTS=…   grade one submission exactly as Gradescope would
#   make grade-export EXPORT=… OUT=…     grade a Gradescope export; WORKERS=, THRESHOLD=, SCHEDULER= (local:N or tls://… with TLS_*)
#   make review OUT=… KNOWN=…            rank OUT's submissions against known AI-generated solutions; ROSTER=… BY=<column>
#   make gradebook OUT=… DUE=…           OUT's grades as Gradescope and Canvas upload CSVs; ASSIGNMENT=, CANVAS_ID=, PARTS=1
#   make test               this project's own tests
#   make test-quick         the checks an author needs after an edit: handout, oracle, each part's cases, package
#   make gradescope-check   grade three submissions on Gradescope's Ubuntu 22.04 image and limits (needs root)
#   make calibrate          train the reference over seeds to set the perplexity threshold
#   make corpus TEXT=… | SPLITS=…   switch corpus: data, calibrate WRITE=1, stencil, zip; then prints what changed
#   make long-range         check the handout's long-range demo (part 7) with the reference over SEEDS seeds
#   make walkthrough        a student's path on a Colab-like Python 3.12, beside make grade (installs TensorFlow)
# Every target sets up its own pinned environment in .venv on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Gradescope's Ubuntu 22.04 image grades with Python 3.10, so we build and test with it too.
PYTHON310 := $(shell for p in python3.10 $$HOME/.pyenv/versions/3.10*/bin/python3 /usr/bin/python3.10; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$$p"; break; }; done)
BASE_PYTHON ?= $(or $(PYTHON310),python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# As root, student code runs as an unprivileged user who may read anything other users can: close this
# checkout (the reference, the hidden split, the built zip) to them from the first command on.
ifeq ($(shell id -u),0)
$(shell chmod o-rwx "$(CURDIR)")
endif

SUBMISSION ?=
RESULTS ?= results.json
SEEDS ?= 5

.PHONY: help venv data stencil solution handout autograder corpus browser grade grade-export review gradebook test test-quick gradescope-check calibrate long-range walkthrough clean

help:
	@sed -n '2,16p' Makefile | sed 's/^# \{0,1\}//'

$(STAMP): requirements-dev.txt autograder/requirements.txt
	$(BASE_PYTHON) autograder/package/environment.py --venv $(VENV) --requirements requirements-dev.txt

venv: $(STAMP)

# The default corpus, or TEXT=<plain text file(s)> or SPLITS=<folder of train/valid/test[/hidden_test].txt, or those
# files>; CORPUS_ARGS=… passes further options (e.g. "--tokenizer whitespace --vocab-size 10000", see CORPUS.md).
data: $(STAMP)
	$(PY) -m assignment.corpus $(if $(TEXT),--text $(TEXT)) $(if $(SPLITS),--splits $(SPLITS)) $(CORPUS_ARGS)

stencil solution handout: $(STAMP)
	$(PY) -m assignment.build
	$(PY) -m autograder.package.export_checker

# The notebooks and the reference module are generated from the single source, never committed: any target that
# reads them builds them first, again only when the source, its build or the figures it states changed.
HANDOUT := stencil/language_model.ipynb solution/language_model.ipynb solution/language_model.py
$(HANDOUT) &: assignment/language_model.py assignment/build.py autograder/config.json | $(STAMP)
	$(PY) -m assignment.build

# The zip is rebuilt only when what goes into it changed: the engine and its packaging, the reference, the data,
# the configuration, the pins, or TIMEOUT (kept in dist/.timeout). `rm dist/autograder.zip` forces a rebuild. The
# environment's stamp is order-only: it lives in /var/lib/rnnkit, shared by every checkout with these pins.
ZIP := dist/autograder.zip
ZIP_INPUTS := $(shell find autograder solution stencil/data -type f -not -path '*/__pycache__/*' -not -path 'autograder/staff/*' \
	-not -name '*.pyc' -not -path solution/expected.json 2>/dev/null)
$(shell mkdir -p dist && { [ -e dist/.timeout ] || { echo > dist/.timeout && touch -d @0 dist/.timeout; }; } \
	&& { [ "$$(cat dist/.timeout)" = "$(TIMEOUT)" ] || echo "$(TIMEOUT)" > dist/.timeout; })
.DELETE_ON_ERROR:

autograder: $(ZIP)

$(ZIP): $(ZIP_INPUTS) $(HANDOUT) requirements-dev.txt dist/.timeout | $(STAMP)
	$(PY) -m autograder.package.build_zip --out $(ZIP) $(if $(TIMEOUT),--timeout $(TIMEOUT))

grade: autograder
	@test -n "$(SUBMISSION)" || { echo "usage: make grade SUBMISSION=<notebook, .py or folder> RESULTS=<results.json>"; exit 2; }
	$(PY) -m autograder.package.local_grade --zip dist/autograder.zip --submission "$(SUBMISSION)" --results "$(RESULTS)"

grade-export: autograder
	@test -n "$(EXPORT)" -a -n "$(OUT)" || { echo "usage: make grade-export EXPORT=<export .zip or folder> OUT=<folder> [WORKERS=n] [THRESHOLD=x] [SCHEDULER=local:n|tls://host:port TLS_CA=… TLS_CERT=… TLS_KEY=…]"; exit 2; }
	$(PY) -m autograder.staff.grade_export --export "$(EXPORT)" --out "$(OUT)" $(if $(WORKERS),--workers $(WORKERS)) \
		$(if $(THRESHOLD),--threshold $(THRESHOLD)) $(if $(SCHEDULER),--scheduler "$(SCHEDULER)") \
		$(if $(TLS_CA),--tls-ca-file "$(TLS_CA)") $(if $(TLS_CERT),--tls-cert "$(TLS_CERT)") $(if $(TLS_KEY),--tls-key "$(TLS_KEY)")

# Both read what grade-export wrote in OUT and grade nothing: no zip to build.
review: $(STAMP)
	@test -n "$(OUT)" -a -n "$(KNOWN)" || { echo "usage: make review OUT=<grade-export folder> KNOWN=<folder of known AI-generated solutions> [ROSTER=<csv> BY=<column>]"; exit 2; }
	$(PY) -m autograder.staff.review --out "$(OUT)" --known "$(KNOWN)" $(if $(ROSTER),--roster "$(ROSTER)") $(if $(BY),--by "$(BY)")

gradebook: $(STAMP)
	@test -n "$(OUT)" -a -n "$(DUE)" || { echo "usage: make gradebook OUT=<grade-export folder> DUE=2026-12-01T23:59:00-05:00 [ASSIGNMENT=<name>] [CANVAS_ID=<id>] [PARTS=1]"; exit 2; }
	$(PY) -m autograder.staff.gradebook --out "$(OUT)" --due "$(DUE)" $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") \
		$(if $(CANVAS_ID),--canvas-id "$(CANVAS_ID)") $(if $(PARTS),--parts)

test: autograder browser $(HANDOUT)
	$(PY) -m pytest tests -n 2 --dist loadgroup

test-quick: autograder $(HANDOUT)
	$(PY) -m pytest tests -n 2 --dist loadgroup -m quick

# The class report's test renders it in a real browser, Debian's chromium, installed here as root;
# where it cannot be installed, tests/test_class_report.py skips its browser checks and says why.
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
		     || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }; }; } \
		|| echo "chromium could not be installed: the class report's browser checks will be skipped"

gradescope-check: autograder
	$(PY) -m tests.gradescope_check

walkthrough: autograder
	nice -n 10 $(PY) -m tests.walkthrough

calibrate: $(HANDOUT) | $(STAMP)
	$(PY) -m assignment.calibrate --seeds $(SEEDS) $(if $(WRITE),--write)

# Switching corpus runs the stages above in order, each through its own target (TEXT, SPLITS, CORPUS_ARGS and SEEDS
# pass on), and ends with what the calibration changed against the configuration saved at the start. A calibration
# that refuses writes nothing: the run stops before the stencil and the zip.
CONFIG_BEFORE := dist/config-before-corpus.json
corpus: $(STAMP)
	mkdir -p dist && cp autograder/config.json $(CONFIG_BEFORE)
	$(MAKE) --no-print-directory data
	$(MAKE) --no-print-directory calibrate WRITE=1 || { rm -f $(CONFIG_BEFORE); printf '%s\n' "" \
		"make corpus stopped: the calibration wrote nothing, so autograder/config.json still holds the previous corpus's" \
		"thresholds, while stencil/data and solution/data hold the new corpus. Build no zip from them. Either follow the" \
		"advice above and run make corpus again, or go back to the previous data: git checkout -- stencil/data solution/data"; \
		exit 1; }
	$(MAKE) --no-print-directory stencil
	$(MAKE) --no-print-directory autograder
	$(PY) -m assignment.calibration_diff $(CONFIG_BEFORE) autograder/config.json
	rm -f $(CONFIG_BEFORE)

long-range: $(HANDOUT) | $(STAMP)
	nice -n 10 $(PY) -m assignment.long_range_check --seeds $(SEEDS)

clean:
	rm -rf build dist
