package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Task sets as JSONL: one object per line, {@code {context, question, answers[], task, length}} and an
 * optional {@code system}. Reading checks every line and reports all bad ones at once
 * ({@link TaskSetFormatException}); nothing is skipped.
 */
public final class TaskSetFile {
    private TaskSetFile() {
    }

    public static List<TaskSample> read(Path file) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses JSONL {@code text}; {@code source} names it in errors. */
    public static List<TaskSample> parse(String text, String source) {
        List<TaskSample> samples = new ArrayList<>();
        List<TaskSetFormatException.BadLine> bad = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        int count = lines.length;
        if (count > 0 && lines[count - 1].isEmpty()) {
            count--; // the newline that ends the last line
        }
        for (int i = 0; i < count; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            try {
                samples.add(sample(line));
            } catch (IllegalArgumentException | ModelFormatException e) {
                bad.add(new TaskSetFormatException.BadLine(i + 1, e.getMessage()));
            }
        }
        if (!bad.isEmpty()) {
            throw new TaskSetFormatException(source, bad);
        }
        if (samples.isEmpty()) {
            throw new TaskSetFormatException(source, List.of(new TaskSetFormatException.BadLine(1, "no tasks in the file")));
        }
        return samples;
    }

    private static TaskSample sample(String line) {
        if (line.isBlank()) {
            throw new IllegalArgumentException("blank line");
        }
        Object parsed;
        try {
            parsed = Json.parse(line, "JSON");
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> o)) {
            throw new IllegalArgumentException("not a JSON object");
        }
        for (Object key : o.keySet()) {
            if (!List.of("context", "question", "answers", "task", "length", "system").contains(key)) {
                throw new IllegalArgumentException("unknown field '" + key + "'");
            }
        }
        String context = string(o, "context", true);
        String question = string(o, "question", true);
        String task = string(o, "task", true);
        String system = string(o, "system", false);
        if (question.isBlank()) {
            throw new IllegalArgumentException("'question' is empty");
        }
        if (task.isBlank()) {
            throw new IllegalArgumentException("'task' is empty");
        }
        if (!(o.get("length") instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue()) || n.doubleValue() < 1
                || n.doubleValue() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("'length' must be a positive integer, was " + o.get("length"));
        }
        if (!(o.get("answers") instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException("'answers' must be a non-empty array of strings");
        }
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s) || s.isEmpty()) {
                throw new IllegalArgumentException("answers[" + i + "] must be a non-empty string");
            }
            answers.add(s);
        }
        return new TaskSample(task, n.intValue(), context, question, answers, system);
    }

    private static String string(Map<?, ?> o, String key, boolean required) {
        Object v = o.get(key);
        if (v == null) {
            if (required) {
                throw new IllegalArgumentException("missing '" + key + "'");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a string");
        }
        return s;
    }

    /** One sample as its JSONL line (no newline). */
    public static String line(TaskSample s) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("task", s.task());
        o.put("length", s.length());
        o.put("context", s.context());
        o.put("question", s.question());
        o.put("answers", s.answers());
        if (s.system() != null) {
            o.put("system", s.system());
        }
        return JsonWriter.write(o);
    }

    public static void write(Path file, List<TaskSample> samples) {
        StringBuilder out = new StringBuilder();
        for (TaskSample s : samples) {
            out.append(line(s)).append('\n');
        }
        try {
            Files.writeString(file, out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
