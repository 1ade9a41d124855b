package dev.sptsrag.service.ai;

/** The request names a model this service does not serve. */
public class ModelNotFoundException extends InvalidChatRequestException {
    private final String requested;
    private final String served;

    public ModelNotFoundException(String requested, String served) {
        super("model '" + requested + "' is not served here; this service serves '" + served + "'");
        this.requested = requested;
        this.served = served;
    }

    public String requested() { return requested; }

    public String served() { return served; }
}
