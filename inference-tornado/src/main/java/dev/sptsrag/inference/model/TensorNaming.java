package dev.sptsrag.inference.model;

/**
 * The two tensor naming schemes the engine reads: llama.cpp's GGUF names and Hugging Face's
 * checkpoint names. One scheme maps a role (and layer) to the stored name.
 */
public enum TensorNaming {
    GGUF {
        @Override
        public String embedding() { return "token_embd.weight"; }

        @Override
        public String outputNorm() { return "output_norm.weight"; }

        @Override
        public String output() { return "output.weight"; }

        @Override
        public String layer(int layer, Role role) {
            String suffix = switch (role) {
                case ATTENTION_NORM -> "attn_norm.weight";
                case QUERY -> "attn_q.weight";
                case KEY -> "attn_k.weight";
                case VALUE -> "attn_v.weight";
                case ATTENTION_OUTPUT -> "attn_output.weight";
                case QUERY_BIAS -> "attn_q.bias";
                case KEY_BIAS -> "attn_k.bias";
                case VALUE_BIAS -> "attn_v.bias";
                case QUERY_NORM -> "attn_q_norm.weight";
                case KEY_NORM -> "attn_k_norm.weight";
                case FFN_NORM -> "ffn_norm.weight";
                case GATE -> "ffn_gate.weight";
                case UP -> "ffn_up.weight";
                case DOWN -> "ffn_down.weight";
            };
            return "blk." + layer + "." + suffix;
        }
    },
    HUGGING_FACE {
        @Override
        public String embedding() { return "model.embed_tokens.weight"; }

        @Override
        public String outputNorm() { return "model.norm.weight"; }

        @Override
        public String output() { return "lm_head.weight"; }

        @Override
        public String layer(int layer, Role role) {
            String suffix = switch (role) {
                case ATTENTION_NORM -> "input_layernorm.weight";
                case QUERY -> "self_attn.q_proj.weight";
                case KEY -> "self_attn.k_proj.weight";
                case VALUE -> "self_attn.v_proj.weight";
                case ATTENTION_OUTPUT -> "self_attn.o_proj.weight";
                case QUERY_BIAS -> "self_attn.q_proj.bias";
                case KEY_BIAS -> "self_attn.k_proj.bias";
                case VALUE_BIAS -> "self_attn.v_proj.bias";
                case QUERY_NORM -> "self_attn.q_norm.weight";
                case KEY_NORM -> "self_attn.k_norm.weight";
                case FFN_NORM -> "post_attention_layernorm.weight";
                case GATE -> "mlp.gate_proj.weight";
                case UP -> "mlp.up_proj.weight";
                case DOWN -> "mlp.down_proj.weight";
            };
            return "model.layers." + layer + "." + suffix;
        }
    };

    /** What a per-layer tensor does. */
    public enum Role {
        ATTENTION_NORM, QUERY, KEY, VALUE, ATTENTION_OUTPUT, QUERY_BIAS, KEY_BIAS, VALUE_BIAS,
        /** Per-head RMSNorm weights of queries and keys, one head wide (Qwen3). */
        QUERY_NORM, KEY_NORM,
        FFN_NORM, GATE, UP, DOWN
    }

    public abstract String embedding();

    public abstract String outputNorm();

    public abstract String output();

    public abstract String layer(int layer, Role role);
}
