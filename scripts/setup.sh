#!/usr/bin/env bash
# Creates .venv with the course's pinned dependencies (nbgrader, JupyterLab, numpy, sympy,
# matplotlib, pytest) and calcgrade itself. Sourced by demo.sh and test.sh; safe to re-run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
export PATH="$PWD/.venv/bin:$PATH"   # nbgrader runs `alembic` and the kernel from PATH
# The student's side: nbgrader's JupyterLab extension must load beside JupyterLab 4.
if ! jupyter labextension list 2>&1 | grep -q '@jupyter/nbgrader.*enabled.*OK'; then
  echo "warning: nbgrader's JupyterLab extension is not enabled" >&2
fi
