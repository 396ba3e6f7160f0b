#!/usr/bin/env python3
"""Resolves a git conflict in bench/RESULTS.md by keeping both sides' sections (each bench owns one)."""
import re, sys
path = sys.argv[1] if len(sys.argv) > 1 else 'bench/RESULTS.md'
s = open(path).read()
out, ours, theirs, mode = [], [], [], None
for line in s.split('\n'):
    if line.startswith('<<<<<<<'): mode = 'ours'; continue
    if line.startswith('=======') and mode == 'ours': mode = 'theirs'; continue
    if line.startswith('>>>>>>>') and mode == 'theirs':
        out += ours + theirs; ours, theirs, mode = [], [], None; continue
    (ours if mode == 'ours' else theirs if mode == 'theirs' else out).append(line)
text = '\n'.join(out)
# drop duplicated sections, keeping the last copy of each
sections = re.findall(r'\n<!-- bench:(\S+) -->\n.*?<!-- /bench:\1 -->\n', text, flags=re.S)
for name in set(sections):
    blocks = re.findall(r'\n<!-- bench:%s -->\n.*?<!-- /bench:%s -->\n' % (re.escape(name), re.escape(name)), text, flags=re.S)
    for b in blocks[:-1]:
        text = text.replace(b, '\n', 1)
open(path, 'w').write(text)
