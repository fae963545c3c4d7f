"""Sums weft's test results into one closing line: "N passed, N failed".

Each meson test that wrote GoogleTest JSON reports counts its test cases
(a skipped case is reported as skipped, never as passed); a TAP test counts
its "ok" and "not ok" lines; a script ending in "N passed, N failed" (a
binding's runner) counts those; anything else counts as one. Build or configure failures passed in
as the second argument count as failures.
"""
import json
import pathlib
import re
import sys


def gtest_counts(report_dir: pathlib.Path, name: str):
    """(passed, failed, skipped) from the GoogleTest JSON report of `name`, or None."""
    path = report_dir / f"{name}.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return None
    passed = failed = skipped = 0
    for suite in data.get("testsuites", []):
        for case in suite.get("testsuite", []):
            if case.get("failures"):
                failed += 1
            elif case.get("result") == "SKIPPED":
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def tap_counts(stdout: str):
    """(passed, failed) from TAP lines in a test's output, or None if it has none."""
    ok = len(re.findall(r"^ok \d+", stdout, re.M))
    not_ok = len(re.findall(r"^not ok \d+", stdout, re.M))
    return (ok, not_ok) if ok or not_ok else None


def closing_counts(stdout: str):
    """(passed, failed) from the last "N passed, N failed" line, or None."""
    found = re.findall(r"^(\d+) passed, (\d+) failed", stdout, re.M)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


def main() -> int:
    results = pathlib.Path(sys.argv[1])
    failed_steps = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    passed, failed, skipped_cases = 0, failed_steps, 0
    for log in sorted(results.glob("*.testlog.json")):
        build = log.name[: -len(".testlog.json")]
        for line in log.read_text().splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            ok = entry.get("result") in ("OK", "EXPECTEDFAIL")
            skipped = entry.get("result") == "SKIP"
            exe = pathlib.Path(entry.get("command", [""])[0]).name
            counts = gtest_counts(results / build, exe)
            if counts is not None:
                p, f, k = counts
                # A crash after the report was written still fails the test.
                if not ok and not skipped and f == 0:
                    f = 1
                passed, failed, skipped_cases = passed + p, failed + f, skipped_cases + k
            elif skipped:
                continue
            elif closing_counts(entry.get("stdout") or "") is not None:
                p, f = closing_counts(entry.get("stdout") or "")
                if not ok and f == 0:
                    f = 1
                passed, failed = passed + p, failed + f
            elif tap_counts(entry.get("stdout") or "") is not None:
                p, f = tap_counts(entry.get("stdout") or "")
                if not ok and f == 0:
                    f = 1
                passed, failed = passed + p, failed + f
            elif ok:
                passed += 1
            else:
                failed += 1
    line = f"{passed} passed, {failed} failed"
    if skipped_cases:
        line += f", {skipped_cases} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
