package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backends are found as service providers; the chooser names them from there. */
class BackendChoiceTest {

    @Test
    void theProvidersOnTheClassPathAreFoundInAutosOrder() {
        assertEquals(List.of("cuda", "cpu"), BackendChoice.available().stream().map(BackendProvider::name).toList());
    }

    @Test
    void aBackendIsChosenByItsNameInAnyCase() {
        try (Backend b = BackendChoice.parse(" CPU ").create(new BackendSettings(1), m -> { })) {
            assertInstanceOf(CpuBackend.class, b);
            assertEquals("cpu", b.name());
        }
    }

    @Test
    void anUnknownNameIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackendChoice.parse("opencl"));
        assertEquals("unknown backend 'opencl'; choose one of auto, cuda, cpu", e.getMessage());
    }

    @Test
    void autoSaysWhatItChoseAndWhyItPassedOverTheOthers() {
        List<String> log = new ArrayList<>();
        try (Backend b = BackendChoice.parse("auto").create(new BackendSettings(1), log::add)) {
            assertEquals(1, log.size());
            String said = log.getFirst();
            if (b.name().equals("cpu")) { // no usable GPU here: the reason is named
                assertTrue(said.startsWith("backend auto: chose cpu (") && said.contains("; cuda is unavailable: "), said);
            } else {
                assertTrue(said.startsWith("backend auto: chose cuda ("), said);
                assertFalse(said.contains("unavailable"), said);
            }
        }
    }
}
