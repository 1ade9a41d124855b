package dev.sptsrag.inference.eval;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskSetFileTest {

    @Test
    void samplesSurviveAWriteAndARead(@TempDir Path dir) {
        List<TaskSample> samples = List.of(
                new TaskSample("niah_single", 2048, "a \"quoted\"\n\tcontext \u00e9 \u2603", "Q?", List.of("1234567"), null),
                new TaskSample("rag_records", 4096, "Sources:\n\n[1] x", "Question: q", List.of("Lyon", "[1]"),
                        TaskFamily.RAG_SYSTEM));
        Path file = dir.resolve("tasks.jsonl");
        TaskSetFile.write(file, samples);
        assertEquals(samples, TaskSetFile.read(file));
    }

    @Test
    void everyBadLineIsReportedWithItsNumberAndReason() {
        String text = String.join("\n",
                "{\"task\":\"t\",\"length\":10,\"context\":\"c\",\"question\":\"q\",\"answers\":[\"a\"]}",
                "{\"task\":\"t\",\"length\":10,\"context\":\"c\",\"question\":\"q\"}",
                "not json",
                "",
                "{\"task\":\"t\",\"length\":1.5,\"context\":\"c\",\"question\":\"q\",\"answers\":[\"a\"]}",
                "{\"task\":\"t\",\"length\":10,\"context\":\"c\",\"question\":\"q\",\"answers\":[]}",
                "{\"task\":\"t\",\"length\":10,\"context\":\"c\",\"question\":\"q\",\"answers\":[\"a\"],\"extra\":1}",
                "[1,2]",
                "{\"task\":\"t\",\"length\":10,\"context\":7,\"question\":\"q\",\"answers\":[\"a\"]}",
                "{\"task\":\"t\",\"length\":10,\"context\":\"c\",\"question\":\"q\",\"answers\":[\"a\", 3]}") + "\n";
        TaskSetFormatException e = assertThrows(TaskSetFormatException.class, () -> TaskSetFile.parse(text, "mine.jsonl"));
        List<TaskSetFormatException.BadLine> bad = e.badLines();
        assertEquals(List.of(2, 3, 4, 5, 6, 7, 8, 9, 10), bad.stream().map(TaskSetFormatException.BadLine::line).toList());
        assertTrue(bad.get(0).reason().contains("missing 'answers'") || bad.get(0).reason().contains("answers"), bad.get(0).reason());
        assertTrue(bad.get(2).reason().contains("blank line"));
        assertTrue(bad.get(3).reason().contains("'length' must be a positive integer"));
        assertTrue(bad.get(5).reason().contains("unknown field 'extra'"));
        assertTrue(bad.get(6).reason().contains("not a JSON object"));
        assertTrue(bad.get(7).reason().contains("'context' must be a string"));
        assertTrue(bad.get(8).reason().contains("answers[1]"));
        assertTrue(e.getMessage().startsWith("mine.jsonl: 9 bad lines"), e.getMessage());
        assertTrue(e.getMessage().contains("line 3: "), e.getMessage());
    }

    @Test
    void longListsOfBadLinesAreCutInTheMessageButKeptInFull() {
        String text = "x\n".repeat(30);
        TaskSetFormatException e = assertThrows(TaskSetFormatException.class, () -> TaskSetFile.parse(text, "f"));
        assertEquals(30, e.badLines().size());
        assertTrue(e.getMessage().contains("and 10 more"), e.getMessage());
    }

    @Test
    void anEmptyFileOrInvalidUtf8IsAnError(@TempDir Path dir) throws Exception {
        assertThrows(TaskSetFormatException.class, () -> TaskSetFile.parse("", "empty"));
        Path f = dir.resolve("bad.jsonl");
        Files.write(f, new byte[] {'{', (byte) 0xC3, '}'});
        var e = assertThrows(IllegalArgumentException.class, () -> TaskSetFile.read(f));
        assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
