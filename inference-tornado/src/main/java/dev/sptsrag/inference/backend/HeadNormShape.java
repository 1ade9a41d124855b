package dev.sptsrag.inference.backend;

/**
 * The shape check of {@link Backend#headRmsNorm}, shared by the backends so that every backend refuses
 * the same mistakes with the same message before it touches memory.
 */
public final class HeadNormShape {
    private HeadNormShape() {
    }

    /**
     * The width of one head of {@code x} split into {@code headCount} heads.
     *
     * @throws IllegalArgumentException when the heads do not divide the row or the weight is not one head wide
     */
    public static int headWidth(Activations x, int headCount, DeviceVector weight) {
        if (headCount <= 0 || x.cols() % headCount != 0) {
            throw new IllegalArgumentException("headRmsNorm: " + headCount + " heads do not divide the "
                    + x.cols() + " columns of " + x.name());
        }
        int width = x.cols() / headCount;
        if (weight.length() != width) {
            throw new IllegalArgumentException("headRmsNorm: weight " + weight.name() + " has " + weight.length()
                    + " values, a head of " + x.name() + " is " + width + " wide");
        }
        return width;
    }
}
