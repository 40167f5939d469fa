#!/usr/bin/env python3
"""CTest entries for one doctest binary of the Windows tree, a test file each.

Under Wine every process start costs about a second and a half, which per test
case (CTest's usual entry) made up most of the Windows suite's time. So here a
test file's cases run in one process: one CTest entry per file, named after the
file. A case that can skip (an HDC_SKIP_* macro in its body) keeps an entry of
its own, so CTest shows that skip and its reason as skipped, never inside a
passed file. A skip in a file entry fails it (it would have been missed here).

Usage (a POST_BUILD step, tests/CMakeLists.txt):
  doctest_by_file.py --exe EXE --source-dir DIR --workdir DIR --out FILE
                     [--executor CMD ...] [--properties NAME VALUE ...]
  doctest_by_file.py --exe EXE --source-dir DIR --verify [--control]
    checks that the entries select every case of EXE exactly once (run in the
    Linux tree by arch.doctest_by_file); --control drops the first entry and
    doubles the last, and passes only when the check sees both.
"""
import argparse
import collections
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SKIP_MARK = "HDC_SKIP"


def run(cmd, cwd=None):
    done = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, errors="replace")
    if done.returncode != 0:
        sys.exit(f"doctest_by_file: {' '.join(cmd)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def list_cases(prefix, args, cwd=None):
    """(name, source path from tests/, line) of every case the args select."""
    out = run(prefix + ["--list-test-cases", "--reporters=xml"] + args, cwd)
    start = out.find("<doctest")
    end = out.rfind("</doctest>")
    if start < 0 or end < 0:
        sys.exit(f"doctest_by_file: no XML test list from {prefix[-1]}")
    cases = []
    for case in ET.fromstring(out[start:end + len("</doctest>")]).iter("TestCase"):
        file = case.get("filename").replace("\\", "/")
        found = re.search(r"tests/.*$", file)
        if not found:
            sys.exit(f"doctest_by_file: {file}: not a file under tests/")
        cases.append((case.get("name"), found.group(0), int(case.get("line"))))
    return cases


def can_skip(source_dir, file, cases):
    """The names of the file's cases whose body holds a skip macro (a body runs
    from its TEST_CASE line to the next case's)."""
    with open(f"{source_dir}/{file}", encoding="utf-8") as f:
        lines = f.read().split("\n")
    starts = sorted(line for _, _, line in cases)
    skipping = set()
    for name, _, line in cases:
        following = [s for s in starts if s > line]
        end = following[0] - 1 if following else len(lines)
        if any(SKIP_MARK in text for text in lines[line - 1:end]):
            skipping.add(name)
    return skipping


def escape(name):
    """A name as one item of doctest's comma-separated filters."""
    return name.replace("\\", "\\\\").replace(",", "\\,")


def entries(prefix, source_dir, cwd=None):
    """(CTest name, arguments, whether it can skip) for each entry."""
    by_file = collections.OrderedDict()
    for case in list_cases(prefix, [], cwd):
        by_file.setdefault(case[1], []).append(case)
    result = []
    for file, cases in by_file.items():
        skipping = can_skip(source_dir, file, cases)
        rest = [name for name, _, _ in cases if name not in skipping]
        if rest:
            args = [f"--source-file=*{file}"]
            if skipping:
                args.append("--test-case-exclude=" + ",".join(escape(n) for n in sorted(skipping)))
            result.append((file, args, False))
        for name, _, _ in cases:
            if name in skipping:
                result.append((name, [f"--source-file=*{file}", f"--test-case={escape(name)}"], True))
    return result


def cmake_arg(text):
    return "[==[" + text + "]==]"


def write(args, found):
    props = args.properties or []
    if len(props) % 2:
        sys.exit("doctest_by_file: --properties takes NAME VALUE pairs")
    lines = []
    for name, test_args, skips in found:
        command = (args.executor or []) + [args.exe] + test_args
        lines.append(f"add_test({cmake_arg(name)} {' '.join(cmake_arg(c) for c in command)})")
        # A file entry fails when it selects no case, or when a case in it
        # skipped (its skip would be hidden in a passed file).
        check = ("SKIP_REGULAR_EXPRESSION [==[HDC_SKIPPED:]==]" if skips else
                 "FAIL_REGULAR_EXPRESSION [==[HDC_SKIPPED:;test cases: +0 \\|]==]")
        lines.append(f"set_tests_properties({cmake_arg(name)} PROPERTIES WORKING_DIRECTORY "
                     f"{cmake_arg(args.workdir)} {check} "
                     + " ".join(cmake_arg(p) for p in props) + ")")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def verify(args, found):
    """Every case of the binary is selected by exactly one entry."""
    prefix = [args.exe]
    selected = collections.Counter()
    for _, test_args, _ in found:
        selected.update(name for name, _, _ in list_cases(prefix, test_args))
    every = collections.Counter(name for name, _, _ in list_cases(prefix, []))
    problems = [f"{n}: selected {selected[n]} times" for n in every if selected[n] != every[n]]
    problems += [f"{n}: selected, but not a case" for n in selected if n not in every]
    for problem in problems:
        print(f"doctest_by_file: {args.exe}: {problem}")
    files = sum(1 for _, _, skips in found if not skips)
    print(f"doctest_by_file: {args.exe}: {sum(every.values())} cases in {len(found)} entries "
          f"({files} files, {len(found) - files} cases that can skip)")
    return not problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exe", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--workdir")
    parser.add_argument("--out")
    parser.add_argument("--executor", nargs="*")
    parser.add_argument("--properties", nargs="*")
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--control", action="store_true")
    args = parser.parse_args()
    prefix = (args.executor or []) + [args.exe]
    found = entries(prefix, args.source_dir, args.workdir)
    if args.control:
        found = found[1:] + found[-1:]
        return 1 if verify(args, found) else 0
    if args.verify:
        return 0 if verify(args, found) else 1
    if not args.out or not args.workdir:
        sys.exit("doctest_by_file: --out and --workdir are needed to write the entries")
    write(args, found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
