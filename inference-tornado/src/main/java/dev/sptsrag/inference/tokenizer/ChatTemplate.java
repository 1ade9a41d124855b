package dev.sptsrag.inference.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import jinjava.javax.el.CompositeELResolver;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's own Jinja chat template, rendered with Jinjava to the exact text Hugging Face's
 * {@code apply_chat_template(..., tokenize=False)} produces. Jinja2 features Jinjava lacks or treats
 * differently are bridged generically: the source is translated first ({@link JinjaSource}: Jinja2's
 * whitespace control, Python string escapes, stepped slices, keyword arguments), Python's string and
 * dict methods are resolved with Python semantics ({@link PythonMethods}), and Hugging Face's globals
 * and filters are registered ({@link ChatTemplateFunctions}). Immutable and thread-safe.
 */
public final class ChatTemplate {
    private final String source;
    private final String translated;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    private ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.translated = JinjaSource.toJinjava(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withElResolver(resolver)
                .withTrimBlocks(false)           // JinjaSource has applied Jinja2's rules already
                .withLstripBlocks(false)
                .withKeepTrailingNewline(true)
                .withNestedInterpretationEnabled(false) // message text containing {{ }} stays text
                .withFailOnUnknownTokens(false)
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplateFunctions.class,
                "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplateFunctions.class,
                "strftimeNow", String.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "py_str", ChatTemplateFunctions.class,
                "pyStr", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "py_slice", ChatTemplateFunctions.class,
                "pySlice", Object.class, Object.class, Object.class, Object.class));
        jinjava.registerFilter(new ChatTemplateFunctions.ToJson());
        jinjava.registerFilter(new ChatTemplateFunctions.Trim());
        jinjava.registerFilter(new ChatTemplateFunctions.Items());
        jinjava.registerFilter(new ChatTemplateFunctions.PyString());
        jinjava.registerFilter(new ChatTemplateFunctions.Length("length"));
        jinjava.registerFilter(new ChatTemplateFunctions.Length("count"));
    }

    /**
     * A template from its Jinja source; {@code bosToken}/{@code eosToken} are the texts the template sees
     * as {@code bos_token}/{@code eos_token} (null when the model has none: the variable is then undefined).
     */
    public static ChatTemplate of(String jinjaSource, String bosToken, String eosToken) {
        return new ChatTemplate(Objects.requireNonNull(jinjaSource, "jinjaSource"), bosToken, eosToken);
    }

    /** The tokenizer's own template with its BOS/EOS texts, or an exception if the model ships none. */
    public static ChatTemplate forTokenizer(Tokenizer tokenizer) {
        String src = tokenizer.chatTemplateSource()
                .orElseThrow(() -> new ChatTemplateException("the model has no chat template"));
        SpecialTokens s = tokenizer.specialTokens();
        return of(src, s.bos() >= 0 ? tokenizer.tokenText(s.bos()) : null, s.eos() >= 0 ? tokenizer.tokenText(s.eos()) : null);
    }

    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Renders the conversation; {@code extraVariables} are further template variables
     * ({@code enable_thinking}, {@code tools}, ...) as plain Java values (maps, lists, strings,
     * numbers, booleans).
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> extraVariables) {
        Map<String, Object> vars = new HashMap<>();
        if (bosToken != null) {
            vars.put("bos_token", bosToken);
        }
        if (eosToken != null) {
            vars.put("eos_token", eosToken);
        }
        vars.putAll(extraVariables);
        List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            msgs.add(m.toTemplateValue());
        }
        vars.put("messages", msgs);
        vars.put("add_generation_prompt", addGenerationPrompt);

        RenderResult result = jinjava.renderForResult(translated, vars);
        for (TemplateError e : result.getErrors()) {
            Throwable raised = raised(e.getException());
            if (raised != null) {
                throw new ChatTemplateException(raised.getMessage(), true);
            }
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template failed: " + e.getMessage()
                        + (e.getLineno() > 0 ? " (line " + e.getLineno() + " of the translated template)" : ""));
            }
        }
        return result.getOutput();
    }

    private static Throwable raised(Throwable t) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (t instanceof ChatTemplateFunctions.Raised) {
                return t;
            }
        }
        return null;
    }

    /** The template as the model ships it. */
    public String source() {
        return source;
    }

    /** The Jinjava form actually rendered (for diagnosing a template that fails). */
    String translatedSource() {
        return translated;
    }
}
