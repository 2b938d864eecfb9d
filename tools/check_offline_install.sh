#!/usr/bin/env bash
# Offline install, end to end: build the Linux wheelhouse for the running Python with
# tools/wheelhouse.py, install it into a fresh virtual environment with --no-index (no package
# index, no pip configuration of this machine; with the network cut off where `unshare --net`
# works), then plan the demo county with the installed geo-patrol command and re-check the plan.
#
# Downloads about 250 MB (less when pip's cache has the wheels), so it is not part of the default
# test run: CI calls it from .ci/run. Usage, from anywhere:
#
#     bash tools/check_offline_install.sh            # PYTHON=python3.12 to use another interpreter
#
# KEEP=1 keeps the temporary folder (wheelhouse, venv, plan) and prints where it is.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/geo_patrol_offline.XXXXXX")"
cleanup() {
    if [[ "${KEEP:-0}" == 1 ]]; then echo "offline install: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo "offline install: [$((SECONDS - started)) s] $*"; }

version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info.major}.{sys.version_info.minor}")')"
step "building the Linux x86-64 wheelhouse for CPython $version"
"$PYTHON" tools/wheelhouse.py --platform linux --python "$version" --out "$work/wheelhouse"
step "wheelhouse: $(find "$work/wheelhouse" -name '*.whl' | wc -l) wheels, $(du -sh "$work/wheelhouse" | cut -f1)"

step "installing into a fresh virtual environment, --no-index"
"$PYTHON" -m venv "$work/venv"
offline=()
if unshare --net true 2>/dev/null; then
    offline=(unshare --net)   # no network at all: a download attempt would fail
fi
# Nothing of this machine's pip set-up (extra indexes, find-links, constraints) may help.
env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
    ${offline[@]+"${offline[@]}"} "$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --no-index --find-links "$work/wheelhouse" geo_patrol

# The command must come from the venv, not from this checkout.
where="$(cd "$work" && "$work/venv/bin/python" -c 'import geo_patrol; print(geo_patrol.__file__)')"
case "$where" in
    "$work/venv/"*) ;;
    *) echo "offline install: geo_patrol imported from $where, not from the venv" >&2; exit 1 ;;
esac
"$work/venv/bin/geo-patrol" --version

step "planning the demo county with the installed command"
${offline[@]+"${offline[@]}"} "$work/venv/bin/geo-patrol" plan data/demo/scenario.toml --out "$work/plan"
for file in plan.json posts.csv rosters.csv visits.csv coverage.csv map.html report.xlsx duty_sheets.html; do
    [[ -s "$work/plan/$file" ]] || { echo "offline install: $file missing from the plan" >&2; exit 1; }
done
step "re-checking the plan with the installed evaluate"
${offline[@]+"${offline[@]}"} "$work/venv/bin/geo-patrol" evaluate data/demo/scenario.toml --plan "$work/plan" >/dev/null
step "passed: wheelhouse built, installed with --no-index, demo planned and evaluated"
