"""Reads the demo model's weights back from the committed GGUF file (F32/F16 tensors of the llama
layout `spts convert` writes), under Hugging Face names and layout, so that a training stage can start
from `models/demo-16m-f16.gguf` without the exported folder (which stays out of git).

`spts convert` permutes the Q and K rows of llama models into interleaved RoPE pairs (llama.cpp's
layout); this undoes it: HF row `head*d + (w % 2)*d/2 + w//2` is GGUF row `head*d + w`.
"""
import struct

import numpy as np

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_DTYPES = {0: np.float32, 1: np.float16}


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def value(self, t):
        if t in _SCALARS:
            return self.take(_SCALARS[t])
        if t == 8:
            return self.string()
        if t == 9:
            inner, n = self.take("<I"), self.take("<Q")
            return [self.value(inner) for _ in range(n)]
        raise ValueError(f"GGUF value type {t} is not known")


def _unpermute(w, heads):
    rows, cols = w.shape
    d = rows // heads
    out = np.empty_like(w)
    for head in range(heads):
        for r in range(d):
            out[head * d + (r % 2) * (d // 2) + r // 2] = w[head * d + r]
    return out


def load(path):
    """{Hugging Face tensor name: float32 array} and the GGUF metadata of a llama-layout file."""
    data = open(path, "rb").read()
    r = _Reader(data)
    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    r.pos = 4
    version, n_tensors, n_kv = r.take("<I"), r.take("<Q"), r.take("<Q")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version}")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        infos.append((name, dims, r.take("<I"), r.take("<Q")))
    align = meta.get("general.alignment", 32)
    base = (r.pos + align - 1) // align * align
    heads, kv_heads = meta["llama.attention.head_count"], meta["llama.attention.head_count_kv"]
    names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
             "output.weight": "lm_head.weight"}
    per_layer = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
                 "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
                 "attn_output": "self_attn.o_proj", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                 "ffn_down": "mlp.down_proj"}
    out = {}
    for name, dims, t, offset in infos:
        if t not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has GGML type {t}; only F32 and F16 are read here")
        count = int(np.prod(dims))
        a = np.frombuffer(data, _DTYPES[t], count, base + offset).astype(np.float32).reshape(list(reversed(dims)))
        if name.startswith("blk."):
            _, layer, role, _ = name.split(".")
            hf = f"model.layers.{layer}.{per_layer[role]}.weight"
            if role == "attn_q":
                a = _unpermute(a, heads)
            elif role == "attn_k":
                a = _unpermute(a, kv_heads)
        else:
            hf = names[name]
        out[hf] = a
    return out, meta
