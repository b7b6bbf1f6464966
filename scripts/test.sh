#!/usr/bin/env bash
# Set up, then run the whole test suite (real nbgrader apps, real kernels) on both cores.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# The browser test of the class report (grader_tests/test_report_browser.py) drives Debian's
# chromium headless; Playwright's own browser download is never used. Not in setup.sh: the demo
# does not need a browser.
install_chromium() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || return 1
    sudo="sudo"
    [ -t 0 ] || sudo="sudo -n"   # never wait for a password nobody can type
  fi
  $sudo apt-get update -qq &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium &&
    [ -x /usr/bin/chromium ]
}
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser test (apt-get)" >&2
  if ! install_chromium; then
    echo "warning: could not install Debian's chromium with apt-get;" \
         "the browser test of the class report will be skipped" >&2
  fi
fi

# Lint first (configuration in pyproject.toml): a second, then the suite.
ruff check calcgrade grader_tests benchmarks scripts
# Type-check calcgrade (files and settings in [tool.mypy]): ~10 s cold, under a second cached.
python -m mypy
# worksteal: a worker that runs out of tests takes queued ones from the other, so neither ends
# up holding a row of long end-to-end tests while the other waits.
exec python -m pytest -n 2 --dist worksteal "$@"
