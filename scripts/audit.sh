#!/usr/bin/env bash
# Dependency hygiene: bandit (no high-severity finding in our code) and pip-audit (no known
# vulnerability in the pinned requirements). Run by .ci/run and `make audit`.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== bandit: high-severity findings in assessor/ and config/"
$PY -m bandit -q -r assessor config --severity-level high || exit 1

echo "== pip-audit: known vulnerabilities in requirements.txt"
output=$($PY -m pip_audit -r requirements.txt --progress-spinner off 2>&1)
status=$?
echo "$output"
if [ $status -ne 0 ]; then
  echo "pip-audit found known vulnerabilities (or failed); see above." >&2
  exit 1
fi
# pip-audit reports success even when it could not look a single package up (no vulnerability
# service reachable). Say so plainly rather than pass it off as a clean audit.
if echo "$output" | grep -q "could not be audited"; then
  echo "WARNING: pip-audit could not reach a vulnerability database from this machine, so the" >&2
  echo "         requirements were NOT audited. Run 'make audit' where PyPI's JSON API is reachable." >&2
  if [ "${AUDIT_STRICT:-0}" = "1" ]; then exit 1; fi
fi
exit 0
