#!/usr/bin/env python3
"""Writes calibration text for the demo model's LTP proxy: chat-formatted task samples built from the
held-out filler only (the text the model never trained on), one family after another.

    python3 tools/demo-model/calibration_text.py /tmp/calib.txt
    bin/spts calibrate models/demo-16m-f16.gguf --text /tmp/calib.txt --tokens 16000 --sequence-length 2000 \
        --d-low 256 --rank 64
"""
import pathlib, random, sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import tasks  # noqa: E402
import train  # noqa: E402

train._worker_init(str(pathlib.Path(__file__).resolve().parent / "tokenizer" / "tokenizer.json"), True)
gen = train._W["gen"]
gen.rng = random.Random(77)
out = []
for family in ["records_qa", "niah_multikey", "rag_records", "vt", "niah_single", "niah_multivalue", "records_qa", "cwe"]:
    sample = gen.generate(family, 2000, first_turn_only=True)
    out.append("".join(text for text, _ in tasks.chat_pieces(sample)))
pathlib.Path(sys.argv[1]).write_text("\n\n".join(out))
