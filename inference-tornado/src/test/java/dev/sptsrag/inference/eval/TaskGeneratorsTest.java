package dev.sptsrag.inference.eval;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generators against docs/tasks.md, in tokens of a real tokenizer (Llama 3.1's) with its chat template. */
class TaskGeneratorsTest {
    private static final Pattern MAGIC = Pattern.compile("The special magic number for ([a-z]+-[a-z]+) is (\\d{7})\\.");
    private static final Pattern PASSCODE = Pattern.compile("The secret passcode of ([a-z]+-[a-z]+) is (\\d{7})\\.");
    private static final Pattern VAR = Pattern.compile("VAR ([A-Z]{5}) = (?:(\\d{7})|VAR ([A-Z]{5}))\\.");
    private static final Pattern RECORD = Pattern.compile("Record of ([A-Z][a-z]+ [A-Z][a-z]+): badge number (\\d{5}), "
            + "lives in ([^,]+), works in the ([A-Za-z ]+) department, born on (\\d{1,2}) ([A-Z][a-z]+) (\\d{4}), "
            + "phone extension (\\d{4})\\.");
    private static final Pattern HEADER = Pattern.compile("\\[(\\d+)] Staff directory (\\d+) \\(staff-(\\d+)\\.txt\\)");

    private static PromptFormat format;
    private static TaskSetGenerator generator;
    private static Set<String> heldOut;
    private static Set<String> training;
    private static int longestFiller;

    @BeforeAll
    static void load() throws IOException {
        format = EvalFixtures.llama3();
        generator = new TaskSetGenerator(format);
        List<String> lines = Files.readAllLines(Path.of("src/main/resources/dev/sptsrag/inference/eval/filler.txt"));
        heldOut = new HashSet<>();
        training = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            (i % 10 == 0 ? heldOut : training).add(lines.get(i).strip());
        }
        training.removeAll(heldOut); // a paragraph on both sides would not tell anything
        longestFiller = heldOut.stream().mapToInt(format::count).max().orElseThrow();
    }

    /** Paragraphs of a context, source headers taken off. */
    private static List<String> paragraphs(TaskSample s) {
        String c = s.context();
        if (s.task().equals("rag_records")) {
            assertTrue(c.startsWith("Sources:\n\n"), "rag context starts with Sources:");
            c = c.substring("Sources:\n\n".length());
        }
        List<String> out = new ArrayList<>();
        for (String p : c.split("\n\n")) {
            Matcher h = HEADER.matcher(p);
            if (h.lookingAt()) {
                p = p.substring(h.end() + 1);
            }
            out.add(p);
        }
        return out;
    }

    private static boolean isItem(String p) {
        return MAGIC.matcher(p).matches() || PASSCODE.matcher(p).matches() || VAR.matcher(p).matches()
                || RECORD.matcher(p).matches();
    }

    @ParameterizedTest
    @EnumSource(TaskFamily.class)
    void everyFamilyFitsItsLengthUsesHeldOutFillerAndHoldsItsAnswers(TaskFamily family) {
        for (int length : new int[] {1024, 4096}) {
            for (int i = 0; i < 3; i++) {
                TaskSample s = generator.sample(family, length, 11, i);
                assertEquals(family.taskName(), s.task());
                assertEquals(length, s.length());
                int tokens = format.tokens(s).length;
                assertTrue(tokens <= length, family + " " + length + ": " + tokens + " tokens");
                if (family != TaskFamily.CWE) {
                    // Within one paragraph (plus, for sources, one block header) of the target.
                    assertTrue(tokens > length - longestFiller - 24, family + " " + length + ": only " + tokens);
                    for (String p : paragraphs(s)) {
                        assertTrue(isItem(p) || heldOut.contains(p), family + ": not held-out filler: " + p);
                        assertFalse(training.contains(p), family + ": training paragraph in an evaluation context");
                    }
                }
                for (String a : s.answers()) {
                    assertTrue(s.context().contains(a), family + ": answer " + a + " is not in the context");
                }
            }
        }
    }

    @Test
    void sixteenThousandTokensStayUnderTheTarget() {
        for (TaskFamily f : List.of(TaskFamily.NIAH_SINGLE, TaskFamily.RAG_RECORDS)) {
            TaskSample s = generator.sample(f, 16384, 3, 0);
            int tokens = format.tokens(s).length;
            assertTrue(tokens <= 16384 && tokens > 16384 - longestFiller - 24, f + ": " + tokens);
        }
    }

    @Test
    void theSameSeedGivesTheSameSamplesAndAnotherSeedOthers() {
        List<TaskFamily> all = List.of(TaskFamily.values());
        List<TaskSample> a = generator.generate(all, List.of(1024), 2, 5);
        List<TaskSample> b = new TaskSetGenerator(format).generate(all, List.of(1024), 2, 5);
        assertEquals(a, b);
        List<TaskSample> c = generator.generate(all, List.of(1024), 2, 6);
        for (int i = 0; i < a.size(); i++) {
            assertNotEquals(a.get(i), c.get(i), "sample " + i);
        }
        // A cell does not depend on which other cells are generated.
        assertEquals(a.get(2), generator.generate(List.of(all.get(1)), List.of(1024), 1, 5).getFirst());
    }

    @Test
    void needleFamiliesFollowTheFormat() {
        for (int i = 0; i < 5; i++) {
            TaskSample single = generator.sample(TaskFamily.NIAH_SINGLE, 1024, 1, i);
            List<String[]> needles = find(MAGIC, single.context());
            assertEquals(1, needles.size());
            assertEquals("What is the special magic number for " + needles.getFirst()[0] + "?", single.question());
            assertEquals(List.of(needles.getFirst()[1]), single.answers());
            assertNull(single.system());

            TaskSample multikey = generator.sample(TaskFamily.NIAH_MULTIKEY, 1024, 1, i);
            needles = find(MAGIC, multikey.context());
            assertEquals(4, needles.size());
            assertEquals(4, needles.stream().map(n -> n[0]).distinct().count(), "distinct keys");
            String asked = multikey.question().replaceAll("What is the special magic number for (.*)\\?", "$1");
            assertEquals(List.of(needles.stream().filter(n -> n[0].equals(asked)).findFirst().orElseThrow()[1]),
                    multikey.answers());

            TaskSample multivalue = generator.sample(TaskFamily.NIAH_MULTIVALUE, 1024, 1, i);
            needles = find(MAGIC, multivalue.context());
            assertEquals(1, needles.stream().map(n -> n[0]).distinct().count(), "one key");
            assertEquals("What are all the special magic numbers for " + needles.getFirst()[0] + "?", multivalue.question());
            assertEquals(needles.stream().map(n -> n[1]).toList(), multivalue.answers(), "values in context order");
            assertEquals(4, multivalue.answers().stream().distinct().count());

            TaskSample multiquery = generator.sample(TaskFamily.NIAH_MULTIQUERY, 1024, 1, i);
            needles = find(MAGIC, multiquery.context());
            Matcher q = Pattern.compile("What are the special magic numbers for ([a-z-]+), ([a-z-]+), ([a-z-]+) and ([a-z-]+)\\?")
                    .matcher(multiquery.question());
            assertTrue(q.matches(), multiquery.question());
            Map<String, String> byKey = new HashMap<>();
            needles.forEach(n -> byKey.put(n[0], n[1]));
            assertEquals(List.of(byKey.get(q.group(1)), byKey.get(q.group(2)), byKey.get(q.group(3)), byKey.get(q.group(4))),
                    multiquery.answers(), "values in the question's order");

            TaskSample unseen = generator.sample(TaskFamily.NIAH_UNSEEN, 1024, 1, i);
            assertEquals(0, find(MAGIC, unseen.context()).size());
            needles = find(PASSCODE, unseen.context());
            assertEquals(1, needles.size());
            assertEquals("What is the secret passcode of " + needles.getFirst()[0] + "?", unseen.question());
            assertEquals(List.of(needles.getFirst()[1]), unseen.answers());
            assertEquals(needles.getFirst()[1], unseen.referenceAnswer());
        }
    }

    @Test
    void variableTrackingIsAChainOfFiveInIncreasingDepthAndADistractorOfThree() {
        for (int i = 0; i < 5; i++) {
            TaskSample s = generator.sample(TaskFamily.VT, 2048, 2, i);
            List<String[]> lines = find(VAR, s.context());
            assertEquals(8, lines.size());
            String value = s.question().replaceAll("Which variables are assigned the value (\\d{7})\\?", "$1");
            assertTrue(value.matches("\\d{7}"), s.question());
            // Follow the chain from the line assigning the value, in context order.
            List<String> chain = new ArrayList<>();
            for (String[] l : lines) {
                if (value.equals(l[1]) || (l[2] != null && !chain.isEmpty() && chain.getLast().equals(l[2]))) {
                    chain.add(l[0]);
                }
            }
            assertEquals(s.answers(), chain);
            assertEquals(5, chain.size());
            assertEquals(String.join(" ", chain), s.referenceAnswer());
            assertEquals(8, lines.stream().map(l -> l[0]).distinct().count(), "distinct names");
        }
    }

    @Test
    void commonWordsAreFiveWordsThirtyTimesAndOthersThreeTimes() {
        for (int length : new int[] {1024, 2048, 16384}) {
            TaskSample s = generator.sample(TaskFamily.CWE, length, 4, 0);
            String[] lines = s.context().split("\n");
            Map<String, Integer> counts = new HashMap<>();
            List<String> firstSeen = new ArrayList<>();
            for (int i = 0; i < lines.length; i++) {
                assertTrue(lines[i].startsWith((i + 1) + ". "), lines[i]);
                String w = lines[i].substring(lines[i].indexOf(". ") + 2);
                if (counts.merge(w, 1, Integer::sum) == 1) {
                    firstSeen.add(w);
                }
            }
            List<String> frequent = firstSeen.stream().filter(w -> counts.get(w) == 30).toList();
            assertEquals(5, frequent.size());
            assertEquals(frequent, s.answers(), "the frequent words in order of first appearance");
            assertTrue(counts.values().stream().allMatch(c -> c == 30 || c == 3), counts.toString());
            assertEquals("What are the 5 most common words in the list above?", s.question());
            assertEquals(String.join(", ", frequent), s.referenceAnswer());
            if (length == 1024) {
                assertTrue(format.tokens(s).length > 1024 - 40, "within about one word (three lines) of the target");
            }
        }
    }

    @Test
    void recordsAndRagRecordsFollowTheFormat() {
        for (int i = 0; i < 6; i++) {
            TaskSample s = generator.sample(TaskFamily.RECORDS_QA, 2048, 3, i);
            List<String[]> records = find(RECORD, s.context());
            assertEquals(Math.max(4, 2048 / 200), records.size());
            assertEquals(records.size(), records.stream().map(r -> r[0]).distinct().count(), "distinct names");
            assertRecordQuestion(s.question(), records, s.answers().getFirst());

            TaskSample rag = generator.sample(TaskFamily.RAG_RECORDS, 2048, 3, i);
            assertEquals(TaskFamily.RAG_SYSTEM, rag.system());
            assertTrue(rag.question().startsWith("Question: "), rag.question());
            records = find(RECORD, rag.context());
            assertEquals(10, records.size());
            assertRecordQuestion(rag.question().substring("Question: ".length()), records, rag.answers().getFirst());
            // Blocks numbered 1.. in order, 2-6 paragraphs each; the citation is the block holding the record.
            String[] blocks = rag.context().substring("Sources:\n\n".length()).split("\n\n(?=\\[\\d+] Staff directory)");
            String name = rag.question().replaceAll(".*(?:of|does|was) ([A-Z][a-z]+ [A-Z][a-z]+).*", "$1");
            for (int b = 0; b < blocks.length; b++) {
                Matcher h = HEADER.matcher(blocks[b]);
                assertTrue(h.lookingAt(), blocks[b]);
                assertEquals(List.of(b + 1, b + 1, b + 1), List.of(Integer.parseInt(h.group(1)),
                        Integer.parseInt(h.group(2)), Integer.parseInt(h.group(3))));
                int paragraphs = blocks[b].substring(h.end() + 1).split("\n\n").length;
                assertTrue(paragraphs >= 2 && paragraphs <= 6, "block " + (b + 1) + " has " + paragraphs);
                if (blocks[b].contains("Record of " + name + ":")) {
                    assertEquals("[" + (b + 1) + "]", rag.answers().get(1));
                }
            }
            assertEquals(rag.answers().get(0) + " " + rag.answers().get(1), rag.referenceAnswer());
        }
    }

    private static void assertRecordQuestion(String question, List<String[]> records, String answer) {
        for (String[] r : records) {
            if (question.equals("What is the badge number of " + r[0] + "?")) {
                assertEquals(r[1], answer);
                return;
            } else if (question.equals("In which city does " + r[0] + " live?")) {
                assertEquals(r[2], answer);
                return;
            } else if (question.equals("In which department does " + r[0] + " work?")) {
                assertEquals(r[3], answer);
                return;
            } else if (question.equals("When was " + r[0] + " born?")) {
                assertEquals(r[4] + " " + r[5] + " " + r[6], answer);
                return;
            } else if (question.equals("What is the phone extension of " + r[0] + "?")) {
                assertEquals(r[7], answer);
                return;
            }
        }
        throw new AssertionError("question about no record: " + question);
    }

    @Test
    void aTargetTooShortForTheItemsIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> generator.sample(TaskFamily.RECORDS_QA, 100, 1, 0));
        assertTrue(e.getMessage().contains("too short for task records_qa"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> generator.sample(TaskFamily.CWE, 300, 1, 0));
        assertTrue(e.getMessage().contains("too short for task cwe"), e.getMessage());
    }

    /** Groups of every match, in context order. */
    private static List<String[]> find(Pattern p, String text) {
        List<String[]> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            String[] g = new String[m.groupCount()];
            for (int i = 0; i < g.length; i++) {
                g[i] = m.group(i + 1);
            }
            out.add(g);
        }
        return out;
    }
}
