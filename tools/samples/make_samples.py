#!/usr/bin/env python3
"""Writes the bundled sample documents (samples/staff-*.txt) that the README's newcomer flow ingests.

Each file is a small staff directory: records in exactly the records_qa sentence of docs/tasks.md,
the format the demo model was trained to read, interleaved with prose paragraphs from the filler
corpus, so that retrieval has to pick the right record out of unrelated text. Names are distinct
across all files, so every question about a person has one answer in the whole collection.

Seeded: running it again writes the same files. Usage (from the repository root):
    python3 tools/samples/make_samples.py samples
"""
import json
import pathlib
import random
import sys

SEED = 20261201
FILES = 3             # staff-1.txt .. staff-3.txt
RECORDS_PER_FILE = 6
PROSE_PER_FILE = 4
EVAL = pathlib.Path(__file__).resolve().parents[2] / "inference-tornado/src/main/resources/dev/sptsrag/inference/eval"


def record_text(r):
    # The records_qa sentence of docs/tasks.md, character for character: the demo model knows this shape.
    return (f"Record of {r['name']}: badge number {r['badge']}, lives in {r['city']}, works in the "
            f"{r['department']} department, born on {r['born']}, phone extension {r['ext']}.")


def main(out_dir):
    vocab = json.loads((EVAL / "vocabulary.json").read_text(encoding="utf-8"))
    filler = (EVAL / "filler.txt").read_text(encoding="utf-8").splitlines()
    # Paragraph i with i % 10 == 0 is held out for evaluation (docs/tasks.md); samples stay off it.
    prose = [p for i, p in enumerate(filler) if i % 10 != 0 and p.strip()]
    rng = random.Random(SEED)

    names, badges, exts = set(), set(), set()

    def distinct(pool, draw):
        while True:
            v = draw()
            if v not in pool:
                pool.add(v)
                return v

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = rng.randrange(len(prose))
    for n in range(1, FILES + 1):
        records = []
        for _ in range(RECORDS_PER_FILE):
            records.append({
                "name": distinct(names, lambda: f"{rng.choice(vocab['firstNames'])} {rng.choice(vocab['lastNames'])}"),
                # Badges and extensions distinct too: an answer names one person only.
                "badge": distinct(badges, lambda: str(rng.randint(10000, 99999))),
                "city": rng.choice(vocab["cities"]),
                "department": rng.choice(vocab["departments"]),
                "born": f"{rng.randint(1, 28)} {rng.choice(vocab['months'])} {rng.randint(1950, 2005)}",
                "ext": distinct(exts, lambda: str(rng.randint(1000, 9999))),
            })
        # Consecutive prose (as the task generators take it), each file its own stretch.
        paragraphs = [prose[(start + (n - 1) * PROSE_PER_FILE + k) % len(prose)] for k in range(PROSE_PER_FILE)]
        items = [record_text(r) for r in records]
        # Records in runs of one to three between prose paragraphs, in order.
        body, i = [], 0
        for p in paragraphs:
            take = rng.randint(1, 3)
            body.extend(items[i:i + take])
            i += take
            body.append(p)
        body.extend(items[i:])
        (out / f"staff-{n}.txt").write_text("\n\n".join(body) + "\n", encoding="utf-8")
        print(f"staff-{n}.txt: {len(records)} records, {len(paragraphs)} prose paragraphs")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_samples.py OUT_DIR")
    main(sys.argv[1])
