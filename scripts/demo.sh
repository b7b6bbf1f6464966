#!/usr/bin/env bash
# The main job: set up, regenerate the release, grade example submissions with nbgrader and
# print the students x parts table of each assignment.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec python scripts/demo.py "$@"
