#!/usr/bin/env bash
# Builds the solution and runs every test project.
#
#   ./test.sh            (as root: privileged tests run too; see README.md)
#
# Installs what the tests need when it is missing (Debian packages, via apt-get), restores,
# builds Release with warnings as errors, runs all tests once, and ends with the line
#   tests: N passed, N failed, N skipped
# Exit status is non-zero when the build fails or any test fails. Under CI=true a skipped test
# fails the run (--fail-skips on): a missing prerequisite must be installed here, not skipped.
set -uo pipefail
cd "$(dirname "$0")"

log() { printf '==> %s\n' "$*" >&2; }

# --- prerequisites -----------------------------------------------------------------------
# command-or-file : Debian package
prereqs=(
  "ip:iproute2"
  "bridge:iproute2"
  "ping:iputils-ping"
  "tshark:tshark"
  "strace:strace"
  "nft:nftables"
  "iptables:iptables"
  "etcd:etcd-server"
  "etcdctl:etcd-client"
  "/usr/lib/ipsec/charon:strongswan-charon"
  "kubectl:kubernetes-client"
)
missing=()
for entry in "${prereqs[@]}"; do
  cmd=${entry%%:*}; pkg=${entry#*:}
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    apt-get update -qq >&2 || { log "apt-get update failed"; exit 1; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || { log "apt-get install failed"; exit 1; }
  else
    log "missing (not root, not installing): ${missing[*]}; tests that need them are skipped"
  fi
fi

# --- build -----------------------------------------------------------------------------
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log "restore + build (Release)"
buildlog=$(mktemp)
dotnet build Overlay.sln -c Release >"$buildlog" 2>&1
brc=$?
grep -E ': (warning|error) ' "$buildlog" | sort -u >&2
tail -n 4 "$buildlog" >&2
rm -f "$buildlog"
if [ "$brc" -ne 0 ]; then
  log "build failed"
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

# --- test ------------------------------------------------------------------------------
args=(test --solution Overlay.sln -c Release --no-build --no-progress)
if [ "${CI:-}" = "true" ]; then
  args+=(--fail-skips on)
fi
log "dotnet ${args[*]}"
out=$(mktemp)
dotnet "${args[@]}" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}

total=$(awk '/^Test run summary/{s=1} s&&/^ *total:/{print $2}' "$out" | tail -n1)
failed=$(awk '/^Test run summary/{s=1} s&&/^ *failed:/{print $2}' "$out" | tail -n1)
passed=$(awk '/^Test run summary/{s=1} s&&/^ *succeeded:/{print $2}' "$out" | tail -n1)
skipped=$(awk '/^Test run summary/{s=1} s&&/^ *skipped:/{print $2}' "$out" | tail -n1)
rm -f "$out"
: "${total:=0}" "${failed:=0}" "${passed:=0}" "${skipped:=0}"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # A crashed test host or a run-level failure (e.g. a skip under --fail-skips) still fails.
  log "test run failed (exit $rc) without a failed test count; counting one failure"
  failed=$((failed + 1))
fi
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
