#!/usr/bin/env bash
# Records the public API of every src project in its PublicAPI.Unshipped.txt (adds what is new,
# removes what is gone) by applying the PublicApiAnalyzers code fix (RS0016) and deleting the lines a
# build reports as gone (RS0017, eng/drop-removed-api.py).
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
  if ! dotnet format analyzers "$d/$name.csproj" --diagnostics RS0016 RS0017 --severity info -v q >/dev/null 2>&1; then
    echo "dotnet format failed for $name" >&2
  fi
  # Entries of API that is gone (RS0017) are deleted from the files by line, from a build of the project.
  dotnet build "$d/$name.csproj" -c Release 2>&1 | python3 eng/drop-removed-api.py
  echo "$name: $(($(wc -l < "$d/PublicAPI.Unshipped.txt") - 1)) API lines"
done
