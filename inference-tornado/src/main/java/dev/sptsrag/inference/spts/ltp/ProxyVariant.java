package dev.sptsrag.inference.spts.ltp;

import java.util.Locale;

/** What the LTP proxy's norm is taken of. */
public enum ProxyVariant {
    /**
     * {@code ‖(SiLU(x·Gᵀ) ⊙ (x·Uᵀ))·W_down[kept]‖}: the predicted FFN update itself, the paper's f
     * (G, U: the low-rank kept gate and up matrices). Costs a {@code D_low × hidden} product more.
     */
    DOWN_PROJECTED(0, "down"),
    /**
     * {@code ‖SiLU(x·Gᵀ) ⊙ (x·Uᵀ)‖} on the kept channels: the update before the down projection,
     * which ignores how W_down mixes (and scales) the channels.
     */
    INTERMEDIATE(1, "intermediate");

    private final int code;
    private final String label;

    ProxyVariant(int code, String label) {
        this.code = code;
        this.label = label;
    }

    /** Its number in the proxy file. */
    public int code() { return code; }

    /** Its name on the command line. */
    public String label() { return label; }

    /** The variant numbered {@code code} in a file, or null when there is none. */
    public static ProxyVariant ofCode(int code) {
        for (ProxyVariant v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }

    /** {@code down} or {@code intermediate}. */
    public static ProxyVariant parse(String label) {
        String l = label.trim().toLowerCase(Locale.ROOT);
        for (ProxyVariant v : values()) {
            if (v.label.equals(l)) {
                return v;
            }
        }
        throw new IllegalArgumentException("proxy variant must be down or intermediate, not '" + label + "'");
    }
}
