#!/usr/bin/env python3
"""Counts the test cases of one Bazel run and prints the summary line.

Usage: count_tests.py BEP_JSON_FILE BAZEL_EXIT_CODE [FUZZ_LOG]

Reads Bazel's build event protocol file (--build_event_json_file) so that
only the tests of this run count (cached results included, stale logs of
other runs not). Each test target's test.xml gives its test cases. A target
that failed without a failed case in its XML (crash, timeout), and a Bazel
run that failed outside the tests (build error), count as one failure each,
so a broken build never reads as green. In FUZZ_LOG (tools/fuzz.sh's
output, after tools/layering.sh's) each "fuzz: <target> ok" and
"layering: <rule> ok" line is a passed case and each "FAILED" line a failed
one.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlparse


def count_xml(path):
    """Returns (passed, failed) test cases in a test.xml."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return 0, 0
    passed = failed = 0
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    bep, bazel_rc = sys.argv[1], int(sys.argv[2])
    results = {}  # label -> (status, test.xml path) of the last attempt
    if os.path.exists(bep):
        with open(bep) as f:
            for line in f:
                event = json.loads(line)
                result = event.get("testResult")
                if result is None:
                    continue
                label = event["id"]["testResult"]["label"]
                shard = event["id"]["testResult"].get("shard", 1)
                xml = None
                for output in result.get("testActionOutput", []):
                    if output.get("name") == "test.xml":
                        xml = unquote(urlparse(output["uri"]).path)
                results[(label, shard)] = (result.get("status"), xml)
    passed = failed = 0
    for (label, _), (status, xml) in sorted(results.items()):
        p, f = count_xml(xml) if xml else (0, 0)
        if status != "PASSED" and f == 0:
            print(f"count_tests: {label} {status}", file=sys.stderr)
            f = 1
        passed += p
        failed += f
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        with open(sys.argv[3]) as f:
            for line in f:
                if line.startswith("fuzz: ") and " ok: " in line:
                    passed += 1
                elif line.startswith("fuzz: ") and "FAILED" in line:
                    failed += 1
                elif line.startswith("layering: ") and line.rstrip().endswith(" ok"):
                    passed += 1
                elif line.startswith("layering: ") and "FAILED" in line:
                    failed += 1
    # Bazel exits 3 when tests failed (counted above); any other non-zero
    # code means something did not build or run.
    if bazel_rc not in (0, 3) or (bazel_rc == 3 and failed == 0):
        failed += 1
    print(f"tests: {passed} passed, {failed} failed")
    sys.exit(1 if failed > 0 or passed == 0 else 0)


if __name__ == "__main__":
    main()
