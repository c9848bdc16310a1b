#!/usr/bin/env bash
# Audit the locked dependencies for known vulnerabilities: `make audit`, run by .ci/run.
# pip-audit reads the lock files as they are (hashed pins, --disable-pip: nothing is
# installed) and asks PyPI's vulnerability data, the JSON API of each pinned release
# (https://pypi.org/pypi/NAME/VERSION/json). A finding fails the run, and so does
# --strict any release it could not audit. When that API cannot be reached at all (an
# offline runner, or one whose proxy serves only the package index), the audit says
# SKIPPED and does not fail the run for that reason alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PIP_AUDIT="${1:-.venv/bin/pip-audit}"

# The URL pip-audit would ask first: the first pinned release of the runtime lock.
probe=$(sed -nE 's/^([A-Za-z0-9_.-]+)==([^ ]+) .*/https:\/\/pypi.org\/pypi\/\1\/\2\/json/p' \
  requirements.lock | head -n 1)
if ! python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=15)" \
    "$probe" >/dev/null 2>&1; then
  echo "pip-audit SKIPPED: PyPI's vulnerability data ($probe) cannot be reached from here"
  exit 0
fi
for lock in requirements.lock requirements-dev.lock; do
  echo "pip-audit: $lock"
  "$PIP_AUDIT" --progress-spinner off --strict --require-hashes --disable-pip \
    --vulnerability-service pypi --requirement "$lock"
done
