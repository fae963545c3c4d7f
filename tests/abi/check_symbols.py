"""The exported symbols of libweft must equal the functions its public
headers declare, and each must carry a release's version node.

    check_symbols.py LIBRARY VERSION HEADER...

VERSION is the library's (MAJOR.MINOR.PATCH): every symbol's node must be
WEFT_<major>.<minor> of that release or an earlier one, so a program built
against a newer weft fails at load against an older one.
"""
import re
import subprocess
import sys


def declared(headers) -> set:
    names = set()
    for header in headers:
        text = open(header, encoding="utf-8").read()
        # WEFT_API <return type> weft_name(   (the return type may span tokens)
        names |= set(re.findall(r"WEFT_API\s+[^;(]*?\b(weft_[a-z0-9_]+)\s*\(", text))
    return names


def exported(library: str) -> dict:
    """Every defined dynamic symbol and its version node ('' if none)."""
    out = subprocess.run(["nm", "-D", "--defined-only", "--with-symbol-versions", library],
                         check=True, capture_output=True, text=True).stdout
    names = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        if parts[1] == "A":  # a version node itself (an absolute symbol)
            continue
        name, _, node = parts[2].partition("@")
        node = node.lstrip("@")
        names[name] = node
    return names


def node_ok(node: str, version: str) -> bool:
    m = re.fullmatch(r"WEFT_(\d+)\.(\d+)", node)
    if not m:
        return False
    major, minor = (int(x) for x in version.split(".")[:2])
    return (int(m.group(1)), int(m.group(2))) <= (major, minor)


def main() -> int:
    library, version, headers = sys.argv[1], sys.argv[2], sys.argv[3:]
    want, have = declared(headers), exported(library)
    missing, extra = sorted(want - set(have)), sorted(set(have) - want)
    for name in missing:
        print(f"declared but not exported: {name}")
    for name in extra:
        print(f"exported but not declared: {name}")
    bad_nodes = sorted(f"{n}@{have[n]}" for n in have if not node_ok(have[n], version))
    for name in bad_nodes:
        print(f"not in a release's version node (WEFT_<major>.<minor> <= {version}): {name}")
    print(f"{len(want)} declared, {len(have)} exported, version {version}")
    return 1 if missing or extra or bad_nodes or not want else 0


if __name__ == "__main__":
    sys.exit(main())
