"""The exported symbols of libweft must equal the functions weft.h declares.

    check_symbols.py HEADER LIBRARY
"""
import re
import subprocess
import sys


def declared(header: str) -> set:
    text = open(header, encoding="utf-8").read()
    # WEFT_API <return type> weft_name(   (the return type may span tokens)
    return set(re.findall(r"WEFT_API\s+[^;(]*?\b(weft_[a-z0-9_]+)\s*\(", text))


def exported(library: str) -> set:
    out = subprocess.run(["nm", "-D", "--defined-only", library], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        name = parts[2].split("@")[0]
        if name == "WEFT_0":  # the version node of the symbol map
            continue
        names.add(name)
    return names


def main() -> int:
    want, have = declared(sys.argv[1]), exported(sys.argv[2])
    missing, extra = sorted(want - have), sorted(have - want)
    for name in missing:
        print(f"declared but not exported: {name}")
    for name in extra:
        print(f"exported but not declared: {name}")
    print(f"{len(want)} declared, {len(have)} exported")
    return 1 if missing or extra or not want else 0


if __name__ == "__main__":
    sys.exit(main())
