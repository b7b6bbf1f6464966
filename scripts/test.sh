#!/usr/bin/env bash
# Set up, then run the whole test suite (real nbgrader apps, real kernels) on both cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec python -m pytest -n 2 "$@"
