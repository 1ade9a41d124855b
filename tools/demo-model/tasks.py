"""Training-sample generators for the demo model, following docs/tasks.md.

A sample is a list of chat turns; generators build the context to a target token count with the
model's tokenizer. The Java evaluation (dev.sptsrag.inference.eval) implements the same formats with
its own random streams and only the held-out filler paragraphs.
"""
import json
import pathlib
import random

RESOURCES = pathlib.Path(__file__).resolve().parents[2] / "inference-tornado/src/main/resources/dev/sptsrag/inference/eval"

RAG_SYSTEM = ("Answer the question using only the numbered sources. Cite the sources you use "
              "by their numbers, like [1]. If the sources do not contain the answer, say so.")

FAMILIES = ["niah_single", "niah_multikey", "niah_multivalue", "niah_multiquery", "vt", "cwe",
            "records_qa", "rag_records"]


def load_filler(held_out):
    lines = (RESOURCES / "filler.txt").read_text(encoding="ascii").splitlines()
    return [p for i, p in enumerate(lines) if (i % 10 == 0) == held_out]


VOCAB = json.loads((RESOURCES / "vocabulary.json").read_text())


class Sample:
    """system (or None), turns [(user, assistant)], the task name, the first question's answers and its
    evidence: the context passages the first answer is read from (what an SPTS probe has to keep)."""

    def __init__(self, task, system, turns, answers, evidence=()):
        self.task, self.system, self.turns, self.answers = task, system, turns, answers
        self.evidence = list(evidence)


class Generator:
    def __init__(self, tokenizer, filler, rng):
        self.tok, self.filler, self.rng = tokenizer, filler, rng
        self.varied_titles = False
        self._counts = {}

    # -- helpers -----------------------------------------------------------------------------------
    def count(self, text):
        n = self._counts.get(text)
        if n is None:
            n = len(self.tok.encode(text, add_special_tokens=False).ids)
            if len(text) < 2000 and len(self._counts) < 200_000:
                self._counts[text] = n
        return n

    def keys(self, n):
        out = set()
        while len(out) < n:
            out.add(f"{self.rng.choice(VOCAB['adjectives'])}-{self.rng.choice(VOCAB['nouns'])}")
        return self.rng.sample(sorted(out), n)

    def numbers(self, n, lo=1_000_000, hi=9_999_999):
        return [str(v) for v in self.rng.sample(range(lo, hi + 1), n)]

    def fill(self, budget):
        """Consecutive filler paragraphs from a random start whose token counts sum to at most budget."""
        out, used = [], 0
        i = self.rng.randrange(len(self.filler))
        while True:
            p = self.filler[i % len(self.filler)]
            c = self.count(p) + 1
            if used + c > budget:
                return out
            out.append(p)
            used += c
            i += 1

    def insert(self, paragraphs, items, ordered=False):
        """Inserts items at random paragraph gaps; ordered keeps their order (increasing depth)."""
        gaps = sorted(self.rng.randint(0, len(paragraphs)) for _ in items) if ordered else \
            [self.rng.randint(0, len(paragraphs)) for _ in items]
        placed = sorted(zip(gaps, range(len(items))), key=lambda g: (g[0], g[1]) if ordered else g)
        out, k = [], 0
        for gi in range(len(paragraphs) + 1):
            while k < len(placed) and placed[k][0] == gi:
                out.append(items[placed[k][1]])
                k += 1
            if gi < len(paragraphs):
                out.append(paragraphs[gi])
        return out

    def context_budget(self, length, items, reserve=48):
        return length - reserve - sum(self.count(i) + 1 for i in items)

    # -- families ----------------------------------------------------------------------------------
    def needles(self, length, sentence, question, n_keys, task):
        keys, values = self.keys(n_keys), self.numbers(n_keys)
        items = [sentence.format(key=k, value=v) for k, v in zip(keys, values)]
        paras = self.insert(self.fill(self.context_budget(length, items)), items)
        order = list(range(n_keys))
        self.rng.shuffle(order)
        turns = [(question.format(key=keys[i]), values[i]) for i in order]
        return "\n\n".join(paras), turns, [values[order[0]]], [items[order[0]]]

    def niah_single(self, length):
        ctx, turns, ans, ev = self.needles(length, "The special magic number for {key} is {value}.",
                                           "What is the special magic number for {key}?", 1, "niah_single")
        return self.chat("niah_single", ctx, turns, ans, evidence=ev)

    def niah_multikey(self, length):
        ctx, turns, ans, ev = self.needles(length, "The special magic number for {key} is {value}.",
                                           "What is the special magic number for {key}?", 4, "niah_multikey")
        return self.chat("niah_multikey", ctx, turns, ans, evidence=ev)

    def niah_multivalue(self, length):
        key, values = self.keys(1)[0], self.numbers(4)
        items = [f"The special magic number for {key} is {v}." for v in values]
        paras = self.insert(self.fill(self.context_budget(length, items)), items, ordered=True)
        q = f"What are all the special magic numbers for {key}?"
        return self.chat("niah_multivalue", "\n\n".join(paras), [(q, ", ".join(values))], values, evidence=items)

    def niah_multiquery(self, length):
        keys, values = self.keys(4), self.numbers(4)
        items = [f"The special magic number for {k} is {v}." for k, v in zip(keys, values)]
        paras = self.insert(self.fill(self.context_budget(length, items)), items)
        order = list(range(4))
        self.rng.shuffle(order)
        ks = [keys[i] for i in order]
        q = f"What are the special magic numbers for {ks[0]}, {ks[1]}, {ks[2]} and {ks[3]}?"
        ans = [values[i] for i in order]
        turns = [(q, ", ".join(ans))]
        # follow-up single-key questions give more supervised answers per context
        for i in self.rng.sample(range(4), 2):
            turns.append((f"What is the special magic number for {keys[i]}?", values[i]))
        return self.chat("niah_multiquery", "\n\n".join(paras), turns, ans, evidence=items)

    def var_names(self, n):
        out = set()
        while len(out) < n:
            out.add("".join(self.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(5)))
        return self.rng.sample(sorted(out), n)

    def vt(self, length):
        names = self.var_names(8)
        value, other = self.numbers(2, 10000, 99999)
        chain, distract = names[:5], names[5:]
        items = [f"VAR {chain[0]} = {value}."] + [f"VAR {b} = VAR {a}." for a, b in zip(chain, chain[1:])]
        ditems = [f"VAR {distract[0]} = {other}."] + [f"VAR {b} = VAR {a}." for a, b in zip(distract, distract[1:])]
        paras = self.insert(self.fill(self.context_budget(length, items + ditems)), items, ordered=True)
        paras = self.insert(paras, ditems, ordered=True)
        turns = [(f"Which variables are assigned the value {value}?", " ".join(chain)),
                 (f"Which variables are assigned the value {other}?", " ".join(distract))]
        return self.chat("vt", "\n\n".join(paras), turns, chain, evidence=items)

    def cwe(self, length):
        pool = VOCAB["commonWords"] + VOCAB["nouns"] + VOCAB["adjectives"]
        words = self.rng.sample(pool, len(pool))
        frequent, others = words[:5], words[5:]
        per_line = 7  # "{i}. {word}\n" is about seven tokens
        lines = max(60, (length - 48) // per_line)
        n_others = min(len(others), max(5, (lines - 150) // 3))
        r = max(3, (lines - 10 * 3 * 5) // max(1, n_others + 50)) if lines > 150 + 3 * len(others) else 3
        f = max(30, 10 * r) if lines > 150 + 3 * len(others) else min(30, max(3, (lines - 3 * n_others) // 5))
        seq = [w for w in frequent for _ in range(f)] + [w for w in others[:n_others] for _ in range(r)]
        self.rng.shuffle(seq)
        # keep within the length: drop trailing lines until the estimate fits (frequent words stay frequent)
        text_lines = [f"{i + 1}. {w}" for i, w in enumerate(seq)]
        while len(text_lines) > 10 and self.count_lines(text_lines) > length - 48:
            text_lines = text_lines[: int(len(text_lines) * 0.95)]
        seen = []
        for line in text_lines:
            w = line.split(". ", 1)[1]
            if w in frequent and w not in seen:
                seen.append(w)
        q = "What are the 5 most common words in the list above?"
        return self.chat("cwe", "\n".join(text_lines), [(q, ", ".join(seen))], seen)

    def count_lines(self, lines):
        return self.count("\n".join(lines))

    def record(self):
        first, last = self.rng.choice(VOCAB["firstNames"]), self.rng.choice(VOCAB["lastNames"])
        return {
            "name": f"{first} {last}",
            "badge": str(self.rng.randint(10000, 99999)),
            "city": self.rng.choice(VOCAB["cities"]),
            "department": self.rng.choice(VOCAB["departments"]),
            "born": f"{self.rng.randint(1, 28)} {self.rng.choice(VOCAB['months'])} {self.rng.randint(1950, 2005)}",
            "ext": str(self.rng.randint(1000, 9999)),
        }

    def records(self, n):
        out, names = [], set()
        while len(out) < n:
            r = self.record()
            if r["name"] not in names:
                names.add(r["name"])
                out.append(r)
        return out

    @staticmethod
    def record_text(r):
        return (f"Record of {r['name']}: badge number {r['badge']}, lives in {r['city']}, works in the "
                f"{r['department']} department, born on {r['born']}, phone extension {r['ext']}.")

    QUESTIONS = [("What is the badge number of {name}?", "badge"),
                 ("In which city does {name} live?", "city"),
                 ("In which department does {name} work?", "department"),
                 ("When was {name} born?", "born"),
                 ("What is the phone extension of {name}?", "ext")]

    def record_questions(self, recs, n):
        """Up to n questions: each record once first, then further attributes of the same records."""
        pairs = [(r, k) for r in recs for k in range(len(self.QUESTIONS))]
        self.rng.shuffle(pairs)
        first, seen, rest = [], set(), []
        for r, k in pairs:
            (rest if r["name"] in seen else first).append((r, k))
            seen.add(r["name"])
        out = []
        for r, k in (first + rest)[:n]:
            q, attr = self.QUESTIONS[k]
            out.append((q.format(name=r["name"]), r[attr], r))
        return out

    def records_qa(self, length):
        recs = self.records(max(4, length // 200))
        items = [self.record_text(r) for r in recs]
        paras = self.insert(self.fill(self.context_budget(length, items)), items)
        asked = self.record_questions(recs, 24)
        turns = [(q, a) for q, a, _ in asked]
        return self.chat("records_qa", "\n\n".join(paras), turns, [turns[0][1]],
                         evidence=[self.record_text(asked[0][2])])

    def block_title(self, n):
        """docs/tasks.md's title, or (training only) the label the service writes for an uploaded file."""
        if not self.varied_titles or self.rng.random() < 0.5:
            return f"Staff directory {n} (staff-{n}.txt)"
        doc = f"{self.rng.choice(['staff', 'directory', 'team', 'people', 'office'])}-{self.rng.randint(1, 40)}"
        return f"{doc} ({doc}.txt)"

    def rag_records(self, length):
        recs = self.records(max(4, length // 200))
        items = [self.record_text(r) for r in recs]
        paras = self.insert(self.fill(self.context_budget(length, items, reserve=120)), items)
        blocks, where, headers, i, n = [], {}, {}, 0, 1
        while i < len(paras):
            k = self.rng.randint(2, 6)
            body = paras[i:i + k]
            for p in body:
                where[p] = n
            headers[n] = f"[{n}] {self.block_title(n)}"
            blocks.append(headers[n] + "\n" + "\n\n".join(body))
            i += k
            n += 1
        ctx = "Sources:\n\n" + "\n\n".join(blocks)
        turns, evidence = [], []
        for q, a, r in self.record_questions(recs, 12):
            cite = where[self.record_text(r)]
            turns.append(("Question: " + q, f"{a} [{cite}]"))
            evidence = evidence or [headers[cite], self.record_text(r)]  # the citation's number, then the value
        first = turns[0][1].rsplit(" ", 1)
        return self.chat("rag_records", ctx, turns, first, system=RAG_SYSTEM, evidence=evidence)

    def chat(self, task, context, turns, answers, system=None, evidence=()):
        first_q, first_a = turns[0]
        all_turns = [(context + "\n\n" + first_q, first_a)] + list(turns[1:])
        return Sample(task, system, all_turns, answers, evidence)

    def generate(self, family, length, first_turn_only=False):
        """A sample whose chat (all turns, or the first) fits in length tokens: rebuilt with less filler if not."""
        budget = length
        for _ in range(4):
            state = self.rng.getstate()
            s = getattr(self, family)(budget)
            if first_turn_only:
                s.turns = s.turns[:1]
            n = sum(self.count(t) for t, _ in chat_pieces(s))
            if n <= length:
                return s
            self.rng.setstate(state)  # the same sample, with less filler
            budget -= n - length + 8
        return s


def chat_pieces(sample):
    """(text, supervised) pieces in ChatML; the model learns the assistant answers and their end marker."""
    pieces = []
    if sample.system is not None:
        pieces.append((f"<|im_start|>system\n{sample.system}<|im_end|>\n", False))
    for user, answer in sample.turns:
        pieces.append((f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n", False))
        pieces.append((f"{answer}<|im_end|>", True))
        pieces.append(("\n", False))
    return pieces


CHAT_TEMPLATE = ("{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] "
                 "+ '<|im_end|>' + '\\n' }}{%- endfor %}{%- if add_generation_prompt %}"
                 "{{ '<|im_start|>assistant\\n' }}{%- endif %}")
