package dev.sptsrag.inference;

/**
 * A model does not fit the device: the plan that was checked says what needed how much, and what was
 * free. Raised before anything is allocated, so nothing is left half-loaded.
 */
public class DeviceOutOfMemoryException extends EngineException {
    private final String plan;
    private final long requiredBytes;
    private final long availableBytes;

    public DeviceOutOfMemoryException(String plan, long requiredBytes, long availableBytes) {
        super(String.format("the model needs %.2f GiB of device memory, %.2f GiB are free: %s",
                requiredBytes / 1073741824.0, availableBytes / 1073741824.0, plan));
        this.plan = plan;
        this.requiredBytes = requiredBytes;
        this.availableBytes = availableBytes;
    }

    /** The memory plan, part by part. */
    public String plan() { return plan; }

    public long requiredBytes() { return requiredBytes; }

    public long availableBytes() { return availableBytes; }
}
