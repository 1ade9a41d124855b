package dev.sptsrag.service.ai;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code spring.ai.spts.chat.*}: which model to load, where and how to run it, the scheduler's queue
 * and timeouts, and the default options of every request ({@code .options.*}).
 */
@ConfigurationProperties(SptsChatProperties.PREFIX)
public class SptsChatProperties {
    public static final String PREFIX = "spring.ai.spts.chat";

    /** A .gguf file or a Hugging Face folder (config.json, *.safetensors, tokenizer.json); unset: the demo model. */
    private Path modelPath;
    /** The name the model is served under (OpenAI's "model"); default: the file or folder name. */
    private String modelId;
    /** auto (CUDA when usable, else CPU), cpu or cuda. */
    private String backend = "auto";
    /** CPU backend threads; 0: all processors. */
    private int threads = 0;
    /** KV cache size in tokens; 0: the model's context length, capped at 8192. */
    private int contextLength = 0;
    /** Tokens per engine step (prompt chunks plus one row per decoding request); 0: the backend's choice. */
    private int batch = 0;
    /** Requests generated together, one row each per step (continuous batching). */
    private int maxSequences = 8;
    /** Tokens the shared KV cache holds per layer; 0: a full context per sequence, or what fits the device. */
    private int kvCacheTokens = 0;
    /** Reuse the KV cache of prompt prefixes seen before (requests without a skip budget). */
    private boolean prefixCache = true;
    /** Requests that may wait while the batch is full; one more is refused (HTTP 429). */
    private int queueSize = 16;
    /** Longest a request may take from arrival to its last token (checked between tokens). */
    private Duration requestTimeout = Duration.ofMinutes(5);
    /** On shutdown, how long queued and running requests may still finish. */
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    /** Default request options; a request's own values override them field by field. */
    private final Options options = new Options();
    /** The demo model, served when {@code model-path} is not set ({@link DemoModel}). */
    private final Demo demoModel = new Demo();

    public Path getModelPath() { return modelPath; }
    public void setModelPath(Path modelPath) { this.modelPath = modelPath; }
    public String getModelId() { return modelId; }
    public void setModelId(String modelId) { this.modelId = modelId; }
    public String getBackend() { return backend; }
    public void setBackend(String backend) { this.backend = backend; }
    public int getThreads() { return threads; }
    public void setThreads(int threads) { this.threads = threads; }
    public int getContextLength() { return contextLength; }
    public void setContextLength(int contextLength) { this.contextLength = contextLength; }
    public int getBatch() { return batch; }
    public void setBatch(int batch) { this.batch = batch; }
    public int getMaxSequences() { return maxSequences; }
    public void setMaxSequences(int maxSequences) { this.maxSequences = maxSequences; }
    public int getKvCacheTokens() { return kvCacheTokens; }
    public void setKvCacheTokens(int kvCacheTokens) { this.kvCacheTokens = kvCacheTokens; }
    public boolean isPrefixCache() { return prefixCache; }
    public void setPrefixCache(boolean prefixCache) { this.prefixCache = prefixCache; }
    public int getQueueSize() { return queueSize; }
    public void setQueueSize(int queueSize) { this.queueSize = queueSize; }
    public Duration getRequestTimeout() { return requestTimeout; }
    public void setRequestTimeout(Duration requestTimeout) { this.requestTimeout = requestTimeout; }
    public Duration getShutdownTimeout() { return shutdownTimeout; }
    public void setShutdownTimeout(Duration shutdownTimeout) { this.shutdownTimeout = shutdownTimeout; }
    public Options getOptions() { return options; }
    public Demo getDemoModel() { return demoModel; }

    /** {@code .demo-model.*}: where the demo model comes from when no {@code model-path} is set. */
    public static class Demo {
        /** Serve the demo model when model-path is not set; false: without a model-path the engine does not start. */
        private boolean enabled = true;
        /** Where the demo model bundled in the jar is extracted (a real file, for memory mapping). */
        private Path extractTo = Path.of("data", "models");
        /** Where a demo model that is not bundled is looked for, relative to the working directory. */
        private Path localFolder = Path.of("models");

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public Path getExtractTo() { return extractTo; }
        public void setExtractTo(Path extractTo) { this.extractTo = extractTo; }
        public Path getLocalFolder() { return localFolder; }
        public void setLocalFolder(Path localFolder) { this.localFolder = localFolder; }
    }

    /**
     * Default options (unset: the request decides; if it does not either, temperature 0.8, top-k 40,
     * top-p 0.95, min-p 0.05, no penalties, a random seed, generation until end of text or the context is full).
     */
    public static class Options {
        /** The model a request names by default; the served model's id when unset. */
        private String model;
        /** Most tokens an answer may have; unset: until end of text or the context is full. */
        private Integer maxTokens;
        /** Sampling temperature (0: greedy); unset: 0.8. */
        private Double temperature;
        /** Nucleus sampling: the smallest set of tokens whose probabilities add up to this; unset: 0.95. */
        private Double topP;
        /** Sample among this many most likely tokens (0: all); unset: 40. */
        private Integer topK;
        /** Generation stops before the first of these in the answer. */
        private List<String> stopSequences;
        /** Subtracted once from the logit of every token already generated, -2 to 2; unset: 0. */
        private Double presencePenalty;
        /** Subtracted per occurrence from the logit of tokens already generated, -2 to 2; unset: 0. */
        private Double frequencyPenalty;
        /** Random seed: the same seed and prompt give the same answer; unset: a random one per request. */
        private Long seed;
        /** Tokens less likely than this fraction of the most likely one are not sampled; unset: 0.05. */
        private Double minP;
        /** Divides positive (multiplies negative) logits of tokens already seen (1: off); unset: 1. */
        private Double repetitionPenalty;
        /** SPTS skip budget: off, default, llama, qwen, demo (optionally :pap or :pap-ltp), or a JSON budget object. */
        private String skip;

        public SptsChatOptions toChatOptions() {
            return SptsChatOptions.builder().model(model).maxTokens(maxTokens).temperature(temperature).topP(topP)
                    .topK(topK).stopSequences(stopSequences).presencePenalty(presencePenalty)
                    .frequencyPenalty(frequencyPenalty).seed(seed).minP(minP).repetitionPenalty(repetitionPenalty)
                    .skip(skip == null ? null : SkipSpec.parse(skip)).build();
        }

        public String getModel() { return model; }
        public void setModel(String model) { this.model = model; }
        public Integer getMaxTokens() { return maxTokens; }
        public void setMaxTokens(Integer maxTokens) { this.maxTokens = maxTokens; }
        public Double getTemperature() { return temperature; }
        public void setTemperature(Double temperature) { this.temperature = temperature; }
        public Double getTopP() { return topP; }
        public void setTopP(Double topP) { this.topP = topP; }
        public Integer getTopK() { return topK; }
        public void setTopK(Integer topK) { this.topK = topK; }
        public List<String> getStopSequences() { return stopSequences; }
        public void setStopSequences(List<String> stopSequences) { this.stopSequences = stopSequences; }
        public Double getPresencePenalty() { return presencePenalty; }
        public void setPresencePenalty(Double presencePenalty) { this.presencePenalty = presencePenalty; }
        public Double getFrequencyPenalty() { return frequencyPenalty; }
        public void setFrequencyPenalty(Double frequencyPenalty) { this.frequencyPenalty = frequencyPenalty; }
        public Long getSeed() { return seed; }
        public void setSeed(Long seed) { this.seed = seed; }
        public Double getMinP() { return minP; }
        public void setMinP(Double minP) { this.minP = minP; }
        public Double getRepetitionPenalty() { return repetitionPenalty; }
        public void setRepetitionPenalty(Double repetitionPenalty) { this.repetitionPenalty = repetitionPenalty; }
        public String getSkip() { return skip; }
        public void setSkip(String skip) { this.skip = skip; }
    }
}
