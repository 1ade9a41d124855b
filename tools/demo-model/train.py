#!/usr/bin/env python3
"""Trains the demo model: a small Llama (GQA, RoPE, SwiGLU) that reads long contexts.

Data is generated on the fly by tasks.py (docs/tasks.md) from a seed; each step is one batch of
equal-length sequences (65,536 tokens), lengths following a curriculum from 512 to 16K tokens. The loss
is cross-entropy on the assistant answers plus a small weight on every other token. At the end the
model is scored on held-out filler (greedy exact match, teacher-forced) and written as a Hugging Face
folder (float16 safetensors, tokenizer, chat template) that `spts convert` turns into GGUF.

    python3 train.py --out /tmp/demo --minutes 7 --seed 1234

One stage per run; recipe.sh chains the four stages of the committed model (models/README.md). The last
stage runs most steps as SPTS prefills (--skip-train) and trains the probe those prefills select by to find
each answer's evidence (--probe-target).
"""
import argparse, collections, json, math, multiprocessing as mp, os, pathlib, random, sys, time, zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import tasks  # noqa: E402

CONFIG = dict(vocab_size=4096, hidden_size=384, intermediate_size=1024, num_hidden_layers=8,
              num_attention_heads=6, num_key_value_heads=2, head_dim=64, rope_theta=100000.0,
              rms_norm_eps=1e-5, max_position_embeddings=16384)
TOKENS_PER_STEP = 65536
CONTEXT_WEIGHT = 0.02  # loss weight of every token that is not an answer
MIX = {"niah_single": 0.12, "niah_multikey": 0.12, "niah_multivalue": 0.08, "niah_multiquery": 0.10,
       "vt": 0.09, "cwe": 0.09, "records_qa": 0.25, "rag_records": 0.15}
# stage 2 (--init from stage 1) leans on what stage 1 left weakest: telling keys and records apart
# stage 3 (--init from stage 2): the answers stage 2 still missed start with a word that the record holds
# with a leading space (" Training") but the answer starts without one ("Training"): a per-word lookup the
# model only learns from many record questions, so short contexts with many questions dominate
MIX_STAGE3 = {"niah_single": 0.05, "niah_multikey": 0.10, "niah_multivalue": 0.05, "niah_multiquery": 0.05,
              "vt": 0.05, "cwe": 0.05, "records_qa": 0.45, "rag_records": 0.20}
MIX_STAGE2 = {"niah_single": 0.06, "niah_multikey": 0.15, "niah_multivalue": 0.07, "niah_multiquery": 0.10,
              "vt": 0.08, "cwe": 0.07, "records_qa": 0.30, "rag_records": 0.17}


# ---------------------------------------------------------------------------------------------- model
class RmsNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(n)), eps

    def forward(self, x):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype) * self.weight.to(x.dtype)


def rope_tables(cfg, n, device):
    d = cfg["head_dim"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2, device=device, dtype=torch.float32) / d))
    ang = torch.outer(torch.arange(n, device=device, dtype=torch.float32), inv)
    ang = torch.cat([ang, ang], dim=-1)  # Hugging Face Llama's rotate-half layout
    return ang.cos(), ang.sin()


def rotate(x, cos, sin):
    h = x.shape[-1] // 2
    rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
    return (x.float() * cos + rot.float() * sin).to(x.dtype)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, hd = c["hidden_size"], c["head_dim"]
        self.nh, self.nkv, self.hd = c["num_attention_heads"], c["num_key_value_heads"], hd
        self.input_layernorm = RmsNorm(d, c["rms_norm_eps"])
        self.post_attention_layernorm = RmsNorm(d, c["rms_norm_eps"])
        self.q_proj = nn.Linear(d, self.nh * hd, bias=False)
        self.k_proj = nn.Linear(d, self.nkv * hd, bias=False)
        self.v_proj = nn.Linear(d, self.nkv * hd, bias=False)
        self.o_proj = nn.Linear(self.nh * hd, d, bias=False)
        self.gate_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.up_proj = nn.Linear(d, c["intermediate_size"], bias=False)
        self.down_proj = nn.Linear(c["intermediate_size"], d, bias=False)

    def forward(self, x, cos, sin):
        b, n, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, n, self.nh, self.hd).transpose(1, 2)
        k = self.k_proj(h).view(b, n, self.nkv, self.hd).transpose(1, 2)
        v = self.v_proj(h).view(b, n, self.nkv, self.hd).transpose(1, 2)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        g = self.nh // self.nkv  # query head i reads KV head i // g, as Hugging Face's repeat_kv
        k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.o_proj(a.transpose(1, 2).reshape(b, n, -1))
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


def demo_preset(layers):
    """SkipBudget.demo(layers) in the engine — keep the two in step: the first quarter of the layers (at
    least one) in full, the rest in three stages of about equal depth keeping 896, 704 and 512 tokens (a stage
    left without layers is dropped), 256 candidates removed for good at each inner boundary, each candidate
    scored by the best probe score of itself and the `span` candidates before it."""
    start = max(1, int(layers / 4 + 0.5))  # Java's Math.round: half up
    starts = [start + k * (layers - start) // 3 for k in range(3)]
    ends, budgets = [], []
    for k, m in enumerate([896, 704, 512]):
        end = starts[k + 1] if k < 2 else layers
        if end > starts[k]:
            ends.append(end)
            budgets.append(m)
    return {"start": start, "ends": ends, "budgets": budgets, "removal": 256, "span": 48}


# For the 8-layer demo model: layers 0-1 in full, stages of layers 2-3, 4-5 and 6-7.
DEMO_PRESET = demo_preset(CONFIG["num_hidden_layers"])


class SkipState:
    """What the engine's SPTS prefill (SptsPrefill) carries from layer to layer, for a batch: the candidate
    rows (never removed: the last prompt row), the latest probe scores, the stage budgets. Rows from
    `prompts[b]` on are the decode's: they go through every layer and see only the active prompt rows."""

    def __init__(self, prompts, n, device, preset=DEMO_PRESET, scale=1.0, evidence=None, oracle=False,
                 probe_target=0.0):
        """evidence: [b, n] passage numbers (1, 2, ...; 0 elsewhere) of the passages the first answer is read
        from (or None): with oracle they are always active (a diagnostic: what the probe's choice costs), with
        probe_target > 0 every skipping layer adds a probe loss (each passage's probe mass below its share of
        that target), and their recall is recorded."""
        self.p = preset
        self.passages = evidence[:, :n].long() if evidence is not None else None
        self.evidence = self.passages > 0 if evidence is not None else None
        self.forced = self.evidence if oracle else None
        self.probe_target = probe_target
        self.probe_losses, self.recall = [], {}
        self.prompts = prompts
        pos = torch.arange(n, device=device)
        self.prompt_rows = pos[None, :] < prompts[:, None]
        self.decode_rows = ~self.prompt_rows
        self.last = pos[None, :] == (prompts[:, None] - 1)
        self.candidates = self.prompt_rows.clone()
        self.scores = None
        self.budgets = [max(16, int(m * scale)) for m in preset["budgets"]]
        self.causal = torch.ones(n, n, dtype=torch.bool, device=device).tril()
        self.diagonal = torch.eye(n, dtype=torch.bool, device=device)

    def stage(self, layer):
        return next(k for k, end in enumerate(self.p["ends"]) if layer < end)

    @torch.no_grad()
    def remove_lowest(self, budget):
        """A stage boundary: the lowest-scoring candidates leave for good (at most so many that the new
        budget can still be filled; never the rows kept always)."""
        count = self.candidates.sum(1)
        r = torch.clamp(torch.minimum(torch.full_like(count, self.p["removal"]), count - budget), min=0)
        s = self.scores.masked_fill(~self.candidates | self.kept_always(), float("inf"))
        rank = torch.empty_like(s, dtype=torch.long).scatter_(
            1, s.argsort(dim=1, stable=True), torch.arange(s.shape[1], device=s.device).expand_as(s).contiguous())
        self.candidates &= ~(rank < r[:, None])

    def kept_always(self):
        """The last prompt row, the first `sink` candidates and the `recent` candidates before the last
        (within the budget, as the engine's TopSelector)."""
        from_start = self.candidates.cumsum(1)
        from_end = self.candidates.flip(1).cumsum(1).flip(1)
        sink, recent = self.p.get("sink", 0), self.p.get("recent", 0)
        kept = self.last | (self.candidates & ((from_start <= sink) | ((from_end > 1) & (from_end <= recent + 1))))
        return kept if self.forced is None else kept | (self.candidates & self.forced)

    @torch.no_grad()
    def choose(self, score, budget):
        """Rows a skipping layer computes: the last prompt row and the top `budget` candidates by `score`;
        every candidate when there are no more than the budget."""
        s = score.masked_fill(~self.candidates, float("-inf")).masked_fill(self.kept_always(), float("inf"))
        top = torch.zeros_like(self.candidates)
        top.scatter_(1, torch.topk(s, min(budget, s.shape[1]), dim=1).indices, True)
        skipping = self.candidates.sum(1, keepdim=True) > budget
        return torch.where(skipping, top & self.candidates, self.candidates)


def pool_spans(scores, span):
    """Each row's score becomes the best of itself and the `span` rows before it (SkipBudget.spanTokens)."""
    if span <= 0:
        return scores
    return F.max_pool1d(F.pad(scores[:, None, :], (span, 0)), span + 1, stride=1)[:, 0, :]


def skip_block(blk, x, cos, sin, st, layer):
    """One block as an SPTS prefill (then its decode) runs it, batched with masks: the last prompt row's query
    probes every candidate's key (mean over heads of the softmax), scores are pooled over spans, the
    attention-active rows (and the decode rows) attend among themselves at their own positions, the FFN
    runs on the top rows by |FFN(x)| times the probe score (what the LTP proxy predicts); every other row
    passes unchanged, so what later layers need must already be in the rows that stay active."""
    stage = st.stage(layer)
    budget = st.budgets[stage]
    if stage > 0 and layer == st.p["ends"][stage - 1]:
        st.remove_lowest(budget)
    b, n, _ = x.shape
    h = blk.input_layernorm(x)
    q = rotate(blk.q_proj(h).view(b, n, blk.nh, blk.hd).transpose(1, 2), cos, sin)
    k = rotate(blk.k_proj(h).view(b, n, blk.nkv, blk.hd).transpose(1, 2), cos, sin)
    v = blk.v_proj(h).view(b, n, blk.nkv, blk.hd).transpose(1, 2)
    g = blk.nh // blk.nkv
    k, v = k.repeat_interleave(g, dim=1), v.repeat_interleave(g, dim=1)
    with torch.set_grad_enabled(torch.is_grad_enabled() and st.probe_target > 0):
        ql = q[torch.arange(b, device=x.device), :, st.prompts - 1, :]  # [b, heads, hd]
        logit = torch.einsum("bhd,bhnd->bhn", ql.float(), k.float()) / math.sqrt(blk.hd)
        probe = torch.softmax(logit.masked_fill(~st.candidates[:, None, :], float("-inf")), dim=-1).mean(1)
        pooled = pool_spans(probe, st.p["span"])
        if st.probe_target > 0 and st.evidence is not None:
            # the probe learns to find what the answer is read from: a hinge on the log of its mass there
            # (each passage its share: the citation's header as much as the record)
            present = F.one_hot(st.passages, int(st.passages.max()) + 1)[..., 1:].to(probe.dtype)  # [b, n, P]
            mass = torch.einsum("bn,bnp->bp", probe, present)
            found = present.sum(1) > 0
            # and every evidence row, scored as the selection scores it (pooled over spans), within the rows this
            # layer keeps, by a factor of two over the last one kept
            kept = torch.topk(pooled.detach().masked_fill(~st.candidates, float("-inf")),
                              min(budget, n), dim=1).values[:, -1:].clamp(min=1e-9)
            rows = st.evidence & st.candidates
            skipping = (st.candidates.sum(1) > budget) & rows.any(1)
            if found.any():
                share = st.probe_target / found.sum(1, keepdim=True).clamp(min=1)
                loss = F.relu(torch.log(share) - torch.log(mass + 1e-9))[found].mean()
                if skipping.any():
                    short = F.relu(torch.log(2 * kept) - torch.log(pooled + 1e-9)) * rows
                    loss = loss + (short.sum(1) / rows.sum(1).clamp(min=1))[skipping].mean()
                st.probe_losses.append(loss)
    with torch.no_grad():
        probe = pooled.detach().masked_fill(~st.candidates, 0.0)
        st.scores = probe
        active = st.choose(probe, budget)
        has = st.evidence.any(1) if st.evidence is not None else None
        if has is not None and has.any():
            st.recall.setdefault(layer, []).extend(
                ((active & st.evidence).sum(1)[has].float() / st.evidence.sum(1)[has].float()).tolist())
        visible = active | st.decode_rows
        mask = (st.causal[None] & (visible[:, None, :] | st.diagonal[None]))[:, None]
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    x = x + visible[..., None].to(x.dtype) * blk.o_proj(a.transpose(1, 2).reshape(b, n, -1))
    h = blk.post_attention_layernorm(x)
    f = blk.down_proj(F.silu(blk.gate_proj(h)) * blk.up_proj(h))
    with torch.no_grad():
        ffn_rows = st.choose(f.float().norm(dim=-1) * probe, budget) | st.decode_rows
    return x + ffn_rows[..., None].to(x.dtype) * f


class DemoLlama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["num_hidden_layers"]))
        self.norm = RmsNorm(c["hidden_size"], c["rms_norm_eps"])
        self.lm_head = nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
        for blk in self.layers:  # residual projections scaled down with depth (GPT-2 practice)
            for w in (blk.o_proj.weight, blk.down_proj.weight):
                nn.init.normal_(w, std=0.02 / math.sqrt(2 * c["num_hidden_layers"]))

    def forward(self, ids, skip=None):
        """skip: a SkipState (prompt lengths, preset): the sequences run as SPTS prefills and decodes."""
        cos, sin = rope_tables(self.c, ids.shape[1], ids.device)
        x = self.embed_tokens(ids)
        for l, blk in enumerate(self.layers):
            if skip is not None and l >= skip.p["start"]:
                x = skip_block(blk, x, cos, sin, skip, l)
            else:
                x = blk(x, cos, sin)
        return self.lm_head(self.norm(x))

    def hf_state_dict(self):
        out = {"model.embed_tokens.weight": self.embed_tokens.weight, "model.norm.weight": self.norm.weight,
               "lm_head.weight": self.lm_head.weight}
        for i, b in enumerate(self.layers):
            p = f"model.layers.{i}."
            out[p + "input_layernorm.weight"] = b.input_layernorm.weight
            out[p + "post_attention_layernorm.weight"] = b.post_attention_layernorm.weight
            for n in ("q_proj", "k_proj", "v_proj", "o_proj"):
                out[p + f"self_attn.{n}.weight"] = getattr(b, n).weight
            for n in ("gate_proj", "up_proj", "down_proj"):
                out[p + f"mlp.{n}.weight"] = getattr(b, n).weight
        return out


# ----------------------------------------------------------------------------------------------- data
_W = {}


def _worker_init(tokenizer_path, held_out, mix=None):
    from tokenizers import Tokenizer
    if mix:
        _W["mix"] = mix
    _W["tok"] = Tokenizer.from_file(tokenizer_path)
    _W["gen"] = tasks.Generator(_W["tok"], tasks.load_filler(held_out=held_out), random.Random(0))
    _W["gen"].varied_titles = mix is MIX_STAGE3


def encode_sample(sample, length):
    """Token ids (length + 1), per-target weights (length) and the evidence rows (length + 1: 1 + the index of
    the passage the first answer is read from that a token belongs to, 0 for every other token; passages are
    found in the first user turn); later turns are dropped if too long."""
    tok = _W["tok"]
    ids, w, ev = [], [], []
    first_user = True
    for text, supervised in tasks.chat_pieces(sample):
        enc = tok.encode(text, add_special_tokens=False)
        piece = enc.ids
        if len(ids) + len(piece) > length + 1:
            break
        marks = [0] * len(piece)
        if first_user and text.startswith("<|im_start|>user"):
            first_user = False
            for i, passage in enumerate(sample.evidence):
                at = text.find(passage)
                if at >= 0:
                    end = at + len(passage)
                    for t, (a, b) in enumerate(enc.offsets):
                        if a < end and b > at:
                            marks[t] = i + 1
        ids += piece
        ev += marks
        w += [1.0 if supervised else CONTEXT_WEIGHT] * len(piece)
    pad = tok.token_to_id("<|endoftext|>")
    n = len(ids)
    ids += [pad] * (length + 1 - n)
    w += [0.0] * (length + 1 - n)
    ev += [0] * (length + 1 - n)
    return np.asarray(ids, np.int32), np.asarray(w[1:], np.float32), np.asarray(ev, np.int8)


def make_batch(job):
    seed, step, length, batch = job
    gen = _W["gen"]
    gen.rng = random.Random(seed * 1_000_003 + step)
    fams, weights = zip(*_W.get("mix", MIX).items())
    ids, ws, evs = [], [], []
    for _ in range(batch):
        fam = gen.rng.choices(fams, weights)[0]
        i, w, ev = encode_sample(gen.generate(fam, length - 8), length)
        ids.append(i)
        ws.append(w)
        evs.append(ev)
    return np.stack(ids), np.stack(ws), np.stack(evs)


def length_for(step, steps, rng, stage=1):
    f = step / max(1, steps)
    if stage == 4:  # stage 3's lessons, plus enough long prompts for the SPTS steps
        return rng.choices([512, 1024, 2048, 4096, 8192], [0.2, 0.2, 0.3, 0.2, 0.1])[0]
    if stage >= 3:
        return rng.choices([512, 1024, 2048, 4096, 8192], [0.3, 0.3, 0.2, 0.12, 0.08])[0]
    if stage == 2:
        if f < 0.3:
            return rng.choice([512, 1024, 2048])
        if f < 0.85:
            return rng.choices([1024, 2048, 4096, 8192], [0.3, 0.35, 0.25, 0.1])[0]
        return rng.choices([2048, 4096, 8192, 16384], [0.25, 0.35, 0.25, 0.15])[0]
    if f < 0.2:
        return rng.choice([512, 1024, 1024, 2048])
    if f < 0.9:
        return rng.choices([1024, 2048, 4096, 8192], [0.2, 0.3, 0.3, 0.2])[0]
    return rng.choices([2048, 4096, 8192, 16384], [0.2, 0.3, 0.3, 0.2])[0]


def jobs(seed, steps, start=0, stage=1):
    rng = random.Random(seed)
    for s in range(steps):
        length = length_for(s, steps, rng, stage)
        if s >= start:
            yield seed, s, length, max(1, TOKENS_PER_STEP // length)


# ------------------------------------------------------------------------------------------- evaluate
def unseen_niah(gen, length):
    ctx, turns, ans, ev = gen.needles(length, "The secret passcode of {key} is {value}.",
                                      "What is the secret passcode of {key}?", 1, "niah_unseen")
    return gen.chat("niah_unseen", ctx, turns[:1], ans, evidence=ev)


@torch.no_grad()
def evaluate(model, tokenizer_path, lengths, samples, device, seed=99, families=None, skip=None, full=True,
             oracle=False):
    """Greedy exact match of the first answer (teacher-forced: every answer token is the argmax); with
    skip (a preset such as DEMO_PRESET) also as an SPTS prefill and its decode would see it (skip_block),
    with the evidence's recall per skipping layer (its share of the rows the attention computed);
    full=False scores only that (the samples do not depend on it); oracle keeps the evidence active."""
    _worker_init(tokenizer_path, held_out=True)
    gen = _W["gen"]
    results = {}
    model.eval()
    for length in lengths:
        for fam in families or tasks.FAMILIES + ["niah_unseen"]:
            gen.rng = random.Random(seed * 7919 + length * 31 + zlib.crc32(fam.encode()) % 1000)  # str hash is salted
            ok = ok_skip = 0
            recall = {}
            for _ in range(samples):
                s = unseen_niah(gen, length - 8) if fam == "niah_unseen" else \
                    gen.generate(fam, length - 8, first_turn_only=True)
                ids, w, ev = encode_sample(s, length)
                x = torch.from_numpy(ids[None, :-1].astype(np.int64)).to(device)
                y = torch.from_numpy(ids[None, 1:].astype(np.int64)).to(device)
                mask = torch.from_numpy(w[None] == 1.0).to(device)
                if full:
                    with torch.autocast("cuda" if device.type == "cuda" else "cpu", dtype=torch.bfloat16):
                        pred = model(x).argmax(-1)
                    ok += int(bool((pred[mask] == y[mask]).all()))
                if skip is not None:
                    prompt = int(np.argmax(w == 1.0)) + 1
                    st = SkipState(torch.tensor([prompt], device=device), x.shape[1], device, skip,
                                   evidence=torch.from_numpy(ev[None]).to(device), oracle=oracle)
                    with torch.autocast("cuda" if device.type == "cuda" else "cpu", dtype=torch.bfloat16):
                        pred = model(x, st).argmax(-1)
                    ok_skip += int(bool((pred[mask] == y[mask]).all()))
                    for layer, r in st.recall.items():
                        recall.setdefault(layer, []).extend(r)
            if full:
                results[f"{fam}@{length}"] = ok / samples
            if skip is not None:
                results[f"{fam}@{length}:skip"] = ok_skip / samples
                if recall:
                    results[f"{fam}@{length}:recall"] = {l: round(sum(r) / len(r), 3) for l, r in sorted(recall.items())}
            print(f"  eval {fam:16s} {length:6d}:" + (f" {100 * ok / samples:5.1f}%" if full else "")
                  + (f" SPTS (preset): {100 * ok_skip / samples:5.1f}%" if skip else "")
                  + (f" evidence recall by layer {results[f'{fam}@{length}:recall']}" if skip and recall else ""),
                  flush=True)
    model.train()
    return results


# --------------------------------------------------------------------------------------------- export
def export(model, out, tokenizer_dir):
    from safetensors.torch import save_file
    out.mkdir(parents=True, exist_ok=True)
    c = model.c
    cfg = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
           "attention_bias": False, "mlp_bias": False, "tie_word_embeddings": False, "torch_dtype": "float16",
           "bos_token_id": None, "eos_token_id": 2, "pad_token_id": 0, **c}
    (out / "config.json").write_text(json.dumps(cfg, indent=1))
    (out / "generation_config.json").write_text(json.dumps({"eos_token_id": [2, 0], "pad_token_id": 0}, indent=1))
    tensors = {k: v.detach().to(torch.float16).contiguous().cpu() for k, v in model.hf_state_dict().items()}
    # shards under 15 MB each: files that come back from the GPU machine are limited to 16 MB
    shards, cur, size = [], {}, 0
    for k, v in tensors.items():
        if cur and size + v.numel() * 2 > 15_000_000:
            shards.append(cur)
            cur, size = {}, 0
        cur[k] = v
        size += v.numel() * 2
    shards.append(cur)
    index = {"metadata": {"total_size": sum(v.numel() * 2 for v in tensors.values())}, "weight_map": {}}
    for i, sh in enumerate(shards):
        name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(sh, str(out / name), metadata={"format": "pt"})
        for k in sh:
            index["weight_map"][k] = name
    (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=1))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        (out / f).write_bytes((tokenizer_dir / f).read_bytes())


def check_with_transformers(model, out, device):
    """The exported folder must give the same logits in transformers as our training module."""
    try:
        from transformers import LlamaForCausalLM
    except ImportError:
        print("transformers missing: export not cross-checked")
        return None
    hf = LlamaForCausalLM.from_pretrained(str(out), torch_dtype=torch.float32).to(device).eval()
    ids = torch.randint(0, model.c["vocab_size"], (1, 300), device=device)
    with torch.no_grad():
        ours = model.float()(ids)
        theirs = hf(ids).logits
    diff = (ours - theirs).abs().max().item()
    print(f"export check: max |logit difference| vs transformers {diff:.3g}")
    return diff


# ----------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--minutes", type=float, default=7.0, help="training time; sets --steps after a warm-up")
    ap.add_argument("--steps", type=int, default=0, help="fixed step count (reproduces a run exactly)")
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 2))
    ap.add_argument("--eval-samples", type=int, default=25)
    ap.add_argument("--eval-lengths", default="2048,4096,8192,16384")
    ap.add_argument("--eval-families", default="", help="comma-separated; default all")
    ap.add_argument("--ship", default="", help="folder that receives the model (tar parts) and logs")
    ap.add_argument("--init", default="", help="continue from an exported model folder or a .gguf file (stage 2+)")
    ap.add_argument("--stage", type=int, default=0, help="with --init: 2, 3 or 4 (mixture and curriculum)")
    ap.add_argument("--skip-train", type=float, default=0.0, help="share of steps trained as SPTS prefills at the "
                    "demo preset (DEMO_PRESET, budgets scaled by 0.6-1.4; loss on the first answer only)")
    ap.add_argument("--skip-preset", default="", help="JSON fields that override DEMO_PRESET in the SPTS steps and "
                    "the final evaluation, e.g. '{\"span\": 48}' (the engine's preset must then match)")
    ap.add_argument("--probe-target", type=float, default=0.0, help="in SPTS steps, a loss on every skipping layer's "
                    "probe when its mass on the first answer's evidence (tasks.py) is below this share (0: none)")
    ap.add_argument("--probe-weight", type=float, default=0.1, help="weight of that loss (mean over skipping layers)")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--plan-factor", type=float, default=1.3, help="expected cost of later steps vs the probe's")
    ap.add_argument("--tiny", action="store_true", help="a minute-long smoke run for CPUs")
    ap.add_argument("--config", default="", help="JSON fields over CONFIG (e.g. a deeper, narrower model: "
                    "'{\"num_hidden_layers\": 16, \"hidden_size\": 256, \"intermediate_size\": 768, "
                    "\"num_attention_heads\": 4}'); the SPTS steps' preset follows the depth (demo_preset)")
    args = ap.parse_args()

    global TOKENS_PER_STEP
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tokdir = HERE / "tokenizer"
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(args.seed)
    cfg = dict(CONFIG)
    if args.tiny:
        cfg.update(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
                   num_key_value_heads=1, head_dim=32)
        TOKENS_PER_STEP = 4096
    cfg.update(json.loads(args.config or "{}"))
    preset = dict(demo_preset(cfg["num_hidden_layers"]), **json.loads(args.skip_preset or "{}"))
    model = DemoLlama(cfg).to(device)
    stage = args.stage or 1
    if args.init:
        sd = {}
        if args.init.endswith(".gguf"):  # the committed model: the exported folder stays out of git
            import gguf_weights
            sd = {k: torch.from_numpy(v) for k, v in gguf_weights.load(args.init)[0].items()}
        else:
            from safetensors.torch import load_file
            for f in sorted(pathlib.Path(args.init).glob("*.safetensors")):
                sd.update(load_file(str(f)))
        own = model.hf_state_dict()
        assert set(sd) == set(own), "--init folder does not match the configuration"
        with torch.no_grad():
            for k, p in own.items():
                p.copy_(sd[k].float())
        stage = args.stage or 2
        print(f"stage {stage}: continuing from {args.init}", flush=True)
    params = sum(p.numel() for p in model.parameters())
    print(f"parameters {params / 1e6:.2f}M on {device}", flush=True)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=device.type == "cuda")

    pool = mp.get_context("fork").Pool(args.workers, _worker_init, (str(tokdir / "tokenizer.json"), False,
                                                                     {1: MIX, 2: MIX_STAGE2, 3: MIX_STAGE3,
                                                                      4: MIX_STAGE3}[stage]))
    warmup_steps = args.warmup
    probe = 30 if args.steps == 0 else 0
    steps = args.steps if args.steps else 10 ** 9  # decided after the probe steps
    log = open(out / "train_log.jsonl", "w")
    t0 = time.time()
    step = 0
    # a bounded queue of batches in flight: Pool.imap would queue every job of the stream at once
    pending = collections.deque()
    stream = jobs(args.seed, 10 ** 6 if not args.steps else steps, stage=stage)

    def refill():
        while len(pending) < 2 * args.workers:
            job = next(stream, None)
            if job is None:
                return
            pending.append(pool.apply_async(make_batch, (job,)))

    while step < steps:
        if args.steps == 0 and step > probe and time.time() - t0 > max(1.1, args.plan_factor) * args.minutes * 60:
            print(f"time limit reached at step {step} of {steps}", flush=True)
            steps = step
            break
        refill()
        ids, w, ev = pending.popleft().get()
        if step == 10:
            t10 = time.time()  # the first steps include the workers' start
        if step == probe and args.steps == 0:
            rate = (time.time() - t10) / (probe - 10)
            # long sequences come later and cost more per token (attention): plan for 1.3x the probe's rate
            steps = max(probe + 50, int(args.minutes * 60 / (args.plan_factor * rate)))
            print(f"{rate:.3f} s/step over {probe} steps -> {steps} steps (reproduce with --steps {steps})",
                  flush=True)
            # the curriculum is a function of the final step count: restart the job stream after this step
            pending.clear()
            stream = jobs(args.seed, steps, start=step + 1, stage=stage)
        lr = args.lr * min(1.0, (step + 1) / warmup_steps) * (
            0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, steps)))))
        for g in opt.param_groups:
            g["lr"] = lr
        x = torch.from_numpy(ids[:, :-1].astype(np.int64)).to(device, non_blocking=True)
        y = torch.from_numpy(ids[:, 1:].astype(np.int64)).to(device, non_blocking=True)
        wt = torch.from_numpy(w).to(device, non_blocking=True)
        skip = None
        draw = random.Random(args.seed * 1_000_003 + step)
        if args.skip_train > 0 and x.shape[1] >= 2048 and draw.random() < args.skip_train:
            # An SPTS step: the prompt is what precedes the first answer, every later row is the decode's;
            # the loss is on the first answer only (later questions may need rows this probe dropped).
            ans = wt == 1.0
            first = ans.float().argmax(dim=1)  # the row that predicts the first answer token: the last prompt row
            rows = torch.arange(wt.shape[1], device=device)[None, :]
            after = (~ans) & (rows > first[:, None])
            end = torch.where(after.any(1), after.float().argmax(dim=1), torch.full_like(first, wt.shape[1]))
            wt = ((rows >= first[:, None]) & (rows < end[:, None])).float()
            skip = SkipState(first + 1, x.shape[1], device, preset, scale=draw.uniform(0.6, 1.4),
                             evidence=torch.from_numpy(ev).to(device, non_blocking=True),
                             probe_target=args.probe_target)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(x, skip)
        ce = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), y.view(-1), reduction="none")
        loss = (ce * wt.view(-1)).sum() / wt.sum()
        probe_loss = torch.stack(skip.probe_losses).mean() if skip is not None and skip.probe_losses else None
        if probe_loss is not None:
            loss = loss + args.probe_weight * probe_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            ans = (wt.view(-1) == 1.0)
            ans_loss = (ce[ans].mean().item() if ans.any() else float("nan"))
            acc = (logits.argmax(-1).view(-1)[ans] == y.view(-1)[ans]).float().mean().item() if ans.any() else 0
            rec = {"step": step, "seconds": round(time.time() - t0, 1), "length": ids.shape[1] - 1,
                   "spts": skip is not None,
                   "loss": round(loss.item(), 4), "answer_loss": round(ans_loss, 4),
                   "answer_token_accuracy": round(acc, 4), "lr": round(lr, 6), "grad_norm": round(gn.item(), 3),
                   **({"probe_loss": round(probe_loss.item(), 4)} if probe_loss is not None else {}),
                   **({"evidence_recall": round(sum(sum(r) for r in skip.recall.values())
                                                / max(1, sum(len(r) for r in skip.recall.values())), 3)}
                      if skip is not None and skip.recall else {})}
            log.write(json.dumps(rec) + "\n")
            log.flush()
            print(rec, flush=True)
        step += 1
    pool.terminate()
    train_seconds = time.time() - t0
    print(f"trained {steps} steps, {steps * TOKENS_PER_STEP / 1e6:.0f}M tokens in {train_seconds:.0f} s", flush=True)

    model_dir = out / "model"
    export(model, model_dir, tokdir)
    diff = check_with_transformers(model, model_dir, device)
    summary = {"parameters": params, "stage": stage, "init": args.init, "steps": steps, "tokens_per_step": TOKENS_PER_STEP, "seed": args.seed,
               "lr": args.lr, "train_seconds": round(train_seconds), "config": cfg,
               **({"skip_train": args.skip_train, "skip_preset": preset} if args.skip_train > 0 else {}),
               **({"probe_target": args.probe_target, "probe_weight": args.probe_weight} if args.probe_target > 0 else {}),
               "export_max_logit_diff": diff, "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
               "torch": torch.__version__}
    ship(out, args.ship, summary)  # the model leaves before the evaluation, in case time runs out
    lengths = [int(v) for v in args.eval_lengths.split(",")]
    fams = [f for f in args.eval_families.split(",") if f] or None
    summary["eval"] = evaluate(model, str(tokdir / "tokenizer.json"), lengths, args.eval_samples, device, families=fams,
                               skip=preset if args.skip_train > 0 else None)
    ship(out, args.ship, summary, model=False)
    print(json.dumps(summary["eval"]))


def ship(out, dest, summary, model=True):
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    if not dest:
        return
    dest = pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for f in ("summary.json", "train_log.jsonl"):
        (dest / f).write_bytes((out / f).read_bytes())
    if model:
        import subprocess
        subprocess.run(f"tar -C {out} -cf - model | split -b 15M - {dest}/model.tar.part-", shell=True, check=True)


if __name__ == "__main__":
    main()
