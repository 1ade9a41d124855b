#!/usr/bin/env python3
"""Builds the filler corpus for the demo model's tasks from freely licensed Debian documentation.

One prose paragraph per line, ASCII, 120-1200 characters. Paragraphs whose index is a multiple of 10
are the held-out share: training never sees them; the Java evaluation draws its filler from them.
Run on a Debian machine with debian-policy, man-db, sed and libpng installed; the output is committed,
so CI never needs to rebuild it.
"""
import gzip, re, sys, pathlib

SOURCES = [
    "/usr/share/doc/debian-policy/policy.txt.gz",
    "/usr/share/doc/debian-policy/fhs/fhs-3.0.txt.gz",
    "/usr/share/doc/debian-policy/upgrading-checklist.txt.gz",
    "/usr/share/doc/debian-policy/perl-policy.txt.gz",
    "/usr/share/doc/debian-policy/menu-policy.txt.gz",
    "/usr/share/doc/debian-policy/debconf_specification.txt.gz",
    "/usr/share/doc/debian-policy/copyright-format-1.0.txt.gz",
    "/usr/share/doc/debian-policy/autopkgtest.txt.gz",
    "/usr/share/doc/man-db/man-db-manual.txt.gz",
    "/usr/share/doc/sed/sedfaq.txt.gz",
    "/usr/share/doc/libpng16-16/libpng-manual.txt.gz",
    "/usr/share/common-licenses/GPL-3",
    "/usr/share/common-licenses/GPL-2",
    "/usr/share/common-licenses/LGPL-3",
    "/usr/share/common-licenses/Apache-2.0",
    "/usr/share/common-licenses/MPL-2.0",
    "/usr/share/common-licenses/GFDL-1.3",
    "/usr/share/common-licenses/Artistic",
]


def read(path):
    data = pathlib.Path(path).read_bytes()
    if path.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def paragraphs(text):
    for block in re.split(r"\n\s*\n", text):
        lines = [l.strip() for l in block.splitlines()]
        para = " ".join(l for l in lines if l)
        para = re.sub(r"\s+", " ", para).strip()
        if not (120 <= len(para) <= 1200) or not para.isascii():
            continue
        letters = sum(c.isalpha() or c == " " for c in para)
        if letters < 0.85 * len(para) or para.count(".") == 0:
            continue  # tables, code, headings
        if re.search(r"[*=_#|<>{}\\]{2,}|\.{4,}|-{3,}", para):
            continue
        yield para


def main(out):
    seen, kept = set(), []
    for src in SOURCES:
        if not pathlib.Path(src).exists():
            sys.exit(f"missing {src}: install debian-policy, man-db, sed and libpng16-16")
        for p in paragraphs(read(src)):
            if p not in seen:
                seen.add(p)
                kept.append(p)
    pathlib.Path(out).write_text("\n".join(kept) + "\n", encoding="ascii")
    print(f"{len(kept)} paragraphs, {sum(map(len, kept))} characters -> {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "filler.txt")
