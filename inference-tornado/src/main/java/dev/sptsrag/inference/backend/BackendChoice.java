package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.BackendUnavailableException;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Which backend to run on: one by name, or {@code auto} (the first usable one by
 * {@link BackendProvider#autoPriority()}). The backends are the {@link BackendProvider}s on the class
 * path; this class knows none of them by type.
 */
public final class BackendChoice {
    public static final String AUTO = "auto";

    private final String name;
    private final List<BackendProvider> providers;

    private BackendChoice(String name, List<BackendProvider> providers) {
        this.name = name;
        this.providers = providers;
    }

    /** The providers on the class path, in {@code auto}'s order. */
    public static List<BackendProvider> available() {
        return ServiceLoader.load(BackendProvider.class, BackendProvider.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .sorted(Comparator.comparingInt(BackendProvider::autoPriority).reversed()
                        .thenComparing(BackendProvider::name))
                .toList();
    }

    /**
     * {@code auto} or a provider's name, any case.
     *
     * @throws IllegalArgumentException naming the choices when {@code s} is none of them
     */
    public static BackendChoice parse(String s) {
        String wanted = s.trim().toLowerCase(Locale.ROOT);
        List<BackendProvider> all = available();
        if (wanted.equals(AUTO)) {
            return new BackendChoice(AUTO, all);
        }
        for (BackendProvider p : all) {
            if (p.name().equals(wanted)) {
                return new BackendChoice(wanted, List.of(p));
            }
        }
        throw new IllegalArgumentException("unknown backend '" + s + "'; choose one of " + AUTO + ", "
                + all.stream().map(BackendProvider::name).collect(Collectors.joining(", ")));
    }

    /** {@code auto} or the chosen provider's name. */
    public String name() {
        return name;
    }

    /**
     * Opens the backend. With {@code auto}, {@code log} is told which backend was chosen and why the
     * ones before it were not.
     *
     * @throws BackendUnavailableException when the chosen backend (with {@code auto}: every one) cannot run here
     */
    public Backend create(BackendSettings settings, Consumer<String> log) {
        if (!name.equals(AUTO)) {
            return providers.getFirst().open(settings);
        }
        StringBuilder passedOver = new StringBuilder();
        for (BackendProvider p : providers) {
            try {
                Backend b = p.open(settings);
                log.accept("backend auto: chose " + p.name() + " (" + b.description() + ")" + passedOver);
                return b;
            } catch (BackendUnavailableException e) {
                passedOver.append("; ").append(p.name()).append(" is unavailable: ").append(e.getMessage());
            }
        }
        throw new BackendUnavailableException("no backend can run here" + passedOver);
    }

    /** {@link #create(BackendSettings, Consumer)} with {@code threads} CPU threads (≤ 0: all processors). */
    public Backend create(int threads, Consumer<String> log) {
        return create(new BackendSettings(threads), log);
    }
}
