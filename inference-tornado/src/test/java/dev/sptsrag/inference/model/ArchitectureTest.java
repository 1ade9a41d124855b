package dev.sptsrag.inference.model;

import dev.sptsrag.inference.UnsupportedModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The family facts, and the readers taking them from the enum rather than from their own checks. */
class ArchitectureTest {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theGgufNameWeWriteReadsBackAsAFamilyWithTheSameLayer(Architecture a) {
        // A converted file is read back as the written family: everything the layer needs must survive.
        Architecture back = Architecture.fromGguf(a.ggufNameWritten());
        assertEquals(a.ggufRopeLayout(), back.ggufRopeLayout(), "RoPE layout of " + a);
        assertEquals(a.qkvBias(), back.qkvBias(), "QKV bias of " + a);
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void eachFamilyIsFoundByItsNames(Architecture a) {
        assertSame(a, Architecture.fromGguf(a.ggufName()));
        assertSame(a, Architecture.fromHuggingFace(a.huggingFaceClass(), null));
        assertSame(a, Architecture.fromHuggingFace(null, a.ggufName()));
    }

    @Test
    void mistralIsWrittenAsLlamaAndOnlyTheQwenFamiliesKeepSplitHalvesInGguf() {
        assertEquals("llama", Architecture.MISTRAL.ggufNameWritten());
        assertEquals(RopeLayout.INTERLEAVED, Architecture.LLAMA.ggufRopeLayout());
        assertEquals(RopeLayout.SPLIT_HALF, Architecture.QWEN2.ggufRopeLayout());
        assertEquals("qwen", Architecture.QWEN2.skipPresetFamily());
        assertEquals("llama", Architecture.MISTRAL.skipPresetFamily());
    }

    @Test
    void unknownFamiliesNameTheSupportedOnes() {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> Architecture.fromHuggingFace("GemmaForCausalLM", "gemma"));
        assertTrue(e.getMessage().contains("Qwen2ForCausalLM (GGUF 'qwen2')"), e.getMessage());
    }

    @Test
    void huggingFaceReaderTakesBiasAndWindowRulesFromTheFamily() {
        Map<String, Object> qwen = config("Qwen2ForCausalLM", Map.of("sliding_window", 4096L));
        ModelConfig q = HuggingFaceConfigReader.read(qwen, "q", "q");
        assertTrue(q.qkvBias(), "Qwen2 always has QKV bias");
        assertEquals(0, q.slidingWindow(), "Qwen2's window needs use_sliding_window");
        assertFalse(q.tiedEmbeddings());

        ModelConfig m = HuggingFaceConfigReader.read(config("MistralForCausalLM", Map.of("sliding_window", 4096L)),
                "m", "m");
        assertFalse(m.qkvBias());
        assertEquals(4096, m.slidingWindow(), "Mistral's window always applies");

        ModelConfig l = HuggingFaceConfigReader.read(config("LlamaForCausalLM",
                Map.of("sliding_window", 4096L, "attention_bias", true)), "l", "l");
        assertTrue(l.qkvBias(), "attention_bias turns the bias on");
        assertEquals(0, l.slidingWindow(), "Llama has no window");
    }

    static Map<String, Object> config(String architecture, Map<String, Object> extra) {
        Map<String, Object> c = new java.util.HashMap<>(Map.of("architectures", List.of(architecture),
                "hidden_size", 64L, "num_attention_heads", 4L, "num_key_value_heads", 2L, "intermediate_size", 128L,
                "num_hidden_layers", 2L, "vocab_size", 100L));
        c.putAll(extra);
        return c;
    }
}
