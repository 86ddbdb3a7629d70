#!/usr/bin/env bash
# Records the public API of every src project in its PublicAPI.Unshipped.txt (adds what is new,
# removes what is gone) from the RS0016/RS0017 diagnostics of a build (eng/sync-public-api.py).
# Run it after a deliberate public API change, read the diff, commit it.
#   eng/update-public-api.sh [project-name ...]     (default: every project under src/)
set -uo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
if ((${#projects[@]} == 0)); then
  for p in src/Overlay.*/Overlay.*.csproj; do projects+=("$(basename "$(dirname "$p")")"); done
fi
for name in "${projects[@]}"; do
  d="src/$name"
  [ -f "$d/PublicAPI.Shipped.txt" ] || echo "#nullable enable" > "$d/PublicAPI.Shipped.txt"
  [ -f "$d/PublicAPI.Unshipped.txt" ] || echo "#nullable enable" > "$d/PublicAPI.Unshipped.txt"
  # Missing entries (RS0016) are added and entries of API that is gone (RS0017) deleted, from the
  # build's own diagnostics (eng/sync-public-api.py); a second pass catches what the first hid.
  for _ in 1 2; do
    dotnet build "$d/$name.csproj" -c Release 2>&1 | python3 eng/sync-public-api.py
  done
  echo "$name: $(($(wc -l < "$d/PublicAPI.Unshipped.txt") - 1)) API lines"
done
