#!/usr/bin/env bash
# Gradescope runs this once while building the image (Ubuntu 22.04, as root).
# Gradescope's own harness uses the system python3, so we leave it alone and grade
# from a virtual environment of our own, built from pinned versions.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-venv python3-pip > /dev/null
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet --no-cache-dir -r /autograder/source/requirements.txt
# Student code runs as `nobody`, which must be able to run this interpreter and read its packages.
chmod -R o+rX /autograder/venv
