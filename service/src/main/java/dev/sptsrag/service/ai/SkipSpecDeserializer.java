package dev.sptsrag.service.ai;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;

/**
 * Reads a {@link SkipSpec} from its three JSON forms: a string is a preset name, an object with
 * {@code preset} a {@link SkipSpec.Preset}, any other object an {@link SkipSpec.Explicit} budget. The
 * object forms are bound by Jackson as usual, so a wrong value is refused with its path
 * ({@code skip.stageBudgets[0]}) under the mapper's strict settings; anything else is refused at {@code skip}.
 */
public final class SkipSpecDeserializer extends ValueDeserializer<SkipSpec> {

    @Override
    public SkipSpec deserialize(JsonParser p, DeserializationContext ctxt) throws JacksonException {
        JsonNode node = ctxt.readTree(p);
        if (node.isString()) {
            return SkipSpec.preset(node.asString());
        }
        if (!node.isObject()) {
            return ctxt.reportInputMismatch(SkipSpec.class, "must be a preset name, a preset object or a budget object");
        }
        if (node.has("preset")) {
            if (node.has("mode")) {
                return ctxt.reportInputMismatch(SkipSpec.class, "give either a preset or a mode, not both");
            }
            return ctxt.readTreeAsValue(node, SkipSpec.Preset.class);
        }
        return ctxt.readTreeAsValue(node, SkipSpec.Explicit.class);
    }
}
