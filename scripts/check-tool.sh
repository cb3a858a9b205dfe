#!/usr/bin/env bash
# Packs src/LowBit.Cli as a dotnet tool, installs it into a temporary tool path from that package alone, and runs
# `lowbit --version` and `lowbit demo` from the installed copy (so the demo must find its assets inside the package).
# Prints one line, "check-tool: OK ..." or "check-tool: FAIL <step> (log: FILE)", and exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d "${TMPDIR:-/tmp}/lowbit-check-tool.XXXXXX")
log="$work/log.txt"
start=$SECONDS
fail() { echo "check-tool: FAIL $1 (log: $log)"; tail -n 20 "$log" >&2; exit 1; }

# Own artifacts folder unless the caller chose one: the Release pack must not race other builds of this tree.
export LOWBIT_ARTIFACTS="${LOWBIT_ARTIFACTS:-$work/artifacts}"
dotnet pack -c Release src/LowBit.Cli -o "$work/nupkg" >>"$log" 2>&1 || fail "dotnet pack"
# --add-source makes the fresh package visible; nuget.org (if configured) has no LowBit.Cli of this version to prefer.
dotnet tool install --tool-path "$work/tools" --add-source "$work/nupkg" LowBit.Cli >>"$log" 2>&1 || fail "dotnet tool install"
version=$("$work/tools/lowbit" --version 2>>"$log") || fail "lowbit --version"
echo "lowbit --version: $version" >>"$log"
# Run from an empty folder: the demo must find fashion-cnn and the test subset next to the installed dll, not in the checkout.
mkdir -p "$work/run"
(cd "$work/run" && "$work/tools/lowbit" demo) >>"$log" 2>&1 || fail "lowbit demo"
[ -f "$work/run/demo-report/index.html" ] || fail "lowbit demo wrote no demo-report/index.html"

echo "check-tool: OK ($version, pack + install + demo in $((SECONDS - start)) s)"
rm -rf "$work"
