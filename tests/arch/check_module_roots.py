#!/usr/bin/env python3
"""Checks that CMake gives each daemon module exactly the include roots its
row of the dependency table allows (cmake/modules.txt, docs/architecture.md
§Dependency rules): the module's own root and the roots of the modules it may
use, with theirs in turn, since their headers include them; nothing else.

Usage: check_module_roots.py SOURCE_DIR BUILD_DIR (reads
BUILD_DIR/compile_commands.json; in a unity build a module's batches stand
for its files). Prints one line per wrong source file and exits 1 if there
is one."""
import json
import os
import re
import shlex
import sys


def read_table(path):
    table = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^([a-z_]+):(.*)$", line)
            if m:
                table[m.group(1)] = m.group(2).split()
    return table


def closure(table, module):
    seen, todo = {module}, list(table[module])
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(table.get(m, []))
    return seen


def include_roots(command):
    args = shlex.split(command)
    roots, i = set(), 0
    while i < len(args):
        a = args[i]
        path = None
        if a in ("-I", "-isystem") and i + 1 < len(args):
            path, i = args[i + 1], i + 1
        elif a.startswith("-I"):
            path = a[2:]
        m = re.search(r"/include_roots/([a-z_]+)$", path or "")
        if m:
            roots.add(m.group(1))
        i += 1
    return roots


def main():
    source_dir, build_dir = sys.argv[1], sys.argv[2]
    table = read_table(os.path.join(source_dir, "cmake", "modules.txt"))
    with open(os.path.join(build_dir, "compile_commands.json"), encoding="utf-8") as f:
        entries = json.load(f)
    daemon = os.path.realpath(os.path.join(source_dir, "daemon")) + os.sep
    # In a unity build (HDC_UNITY) a module's batches are compiled as
    # <build>/daemon/CMakeFiles/hdc_<module>.dir/Unity/unity_<n>_cxx.cxx.
    batches = os.path.realpath(os.path.join(build_dir, "daemon", "CMakeFiles")) + os.sep
    failures, checked = 0, set()
    for entry in entries:
        path = os.path.realpath(os.path.join(entry["directory"], entry["file"]))
        batch = re.match(r"hdc_([a-z_]+)\.dir/Unity/unity_\d+_cxx\.cxx$", path[len(batches):])
        if path.startswith(batches) and batch:
            module = batch.group(1)
        elif path.startswith(daemon):
            module = path[len(daemon):].split(os.sep)[0]
        else:
            continue
        if module not in table:
            print(f"{path}: module '{module}' is not in cmake/modules.txt")
            failures += 1
            continue
        want = closure(table, module)
        got = include_roots(entry.get("command") or " ".join(entry["arguments"]))
        if got != want:
            extra, missing = sorted(got - want), sorted(want - got)
            print(f"{path}: {module} sees {extra or 'nothing extra'}, lacks {missing or 'nothing'}")
            failures += 1
        checked.add(module)
    if not checked:
        print("check_module_roots: no daemon/ source in compile_commands.json")
        return 1
    if failures:
        print(f"check_module_roots: {failures} file(s) with the wrong include roots")
        return 1
    print(f"check_module_roots: {len(checked)} modules see exactly their rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
