#!/usr/bin/env python3
"""Deletes PublicAPI.*.txt lines the analyzer reports as gone (RS0017), from a build log on stdin."""
import re, sys, collections
gone = collections.defaultdict(set)
for line in sys.stdin:
    m = re.search(r'^(\S+PublicAPI\.(?:Un)?[Ss]hipped\.txt)\((\d+),\d+\): error RS0017', line)
    if m:
        gone[m.group(1)].add(int(m.group(2)))
for path, lines in gone.items():
    with open(path) as f:
        content = f.read().split('\n')
    kept = [l for i, l in enumerate(content, 1) if i not in lines]
    with open(path, 'w') as f:
        f.write('\n'.join(kept))
    print(f"{path}: removed {len(lines)} line(s)")
