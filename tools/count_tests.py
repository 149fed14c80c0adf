#!/usr/bin/env python3
"""Counts test cases in Bazel's test.xml files and prints the summary line.

Usage: count_tests.py TESTLOGS_DIR BAZEL_EXIT_CODE
A Bazel run that failed before or outside the tests (build error, crashed
test binary) counts as one failure, so a broken build never reads as green.
"""
import os
import sys
import xml.etree.ElementTree as ET


def count(testlogs):
    passed = failed = 0
    for root, _, files in os.walk(testlogs, followlinks=True):
        if "test.xml" not in files:
            continue
        path = os.path.join(root, "test.xml")
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            failed += 1
            continue
        cases = list(tree.getroot().iter("testcase"))
        if not cases:
            suites = list(tree.getroot().iter("testsuite"))
            bad = any(int(s.get("failures", 0)) + int(s.get("errors", 0))
                      for s in suites)
            failed += 1 if bad else 0
            passed += 0 if bad else 1
            continue
        for case in cases:
            if case.get("status") == "notrun" or case.find("skipped") is not None:
                continue
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            else:
                passed += 1
    return passed, failed


def main():
    testlogs, bazel_rc = sys.argv[1], int(sys.argv[2])
    passed, failed = count(testlogs) if os.path.isdir(testlogs) else (0, 0)
    # Bazel exits 3 when tests failed (already counted above); any other
    # non-zero code means something did not even run.
    if bazel_rc not in (0, 3) or (bazel_rc == 3 and failed == 0):
        failed += 1
    print(f"tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed > 0 or passed == 0 else 0)


if __name__ == "__main__":
    main()
