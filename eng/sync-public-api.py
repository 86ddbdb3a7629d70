#!/usr/bin/env python3
"""Applies a build log's public API diagnostics (stdin) to the PublicAPI files: a symbol reported as
missing (RS0016) is added to the project's PublicAPI.Unshipped.txt, a declared symbol reported as gone
(RS0017) is deleted from the file that declares it. Lines stay sorted case-insensitively, as the
analyzer's code fix keeps them. Prints what it changed; exits 0 whether or not anything was reported.

Why not `dotnet format analyzers --diagnostics RS0016`: its fix rewrites the entries of a whole record
when one member changes and loses the record's synthesized members (<Clone>$, Equals, operators)."""
import collections, os, re, sys

added = collections.defaultdict(set)
gone = collections.defaultdict(set)
for line in sys.stdin:
    m = re.search(r"^(\S+?\.cs)\(\d+,\d+\): error RS0016: Symbol '(.*)' is not part of the declared public API .*\[(\S+\.csproj)\]", line)
    if m:
        added[os.path.join(os.path.dirname(m.group(3)), "PublicAPI.Unshipped.txt")].add(m.group(2))
        continue
    m = re.search(r"^(\S+PublicAPI\.(?:Un)?[Ss]hipped\.txt)\(\d+,\d+\): error RS0017: Symbol '(.*)' is part of the declared API", line)
    if m:
        gone[m.group(1)].add(m.group(2))

for path in sorted(set(added) | set(gone)):
    with open(path) as f:
        lines = f.read().split("\n")
    header = [l for l in lines if l.startswith("#")]
    body = [l for l in lines if l and not l.startswith("#") and l not in gone[path]]
    body = sorted(set(body) | added[path], key=lambda s: (s.lower(), s))
    with open(path, "w") as f:
        f.write("\n".join(header + body) + "\n")
    print(f"{path}: added {len(added[path])}, removed {len(gone[path])}")
