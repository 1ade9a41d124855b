package dev.sptsrag.inference.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds added tokens ({@code <|eot_id|>}, {@code <think>}, ...) in raw text, leftmost first and
 * longest at that position, as Hugging Face's added vocabulary does before any normalisation or
 * pre-tokenisation. A character trie keeps the scan linear even with hundreds of reserved tokens
 * that share a long prefix.
 */
final class AddedTokenMatcher {
    private static final class Node {
        final Map<Character, Node> children = new HashMap<>(4);
        int id = -1;
    }

    private final Node root = new Node();
    private boolean empty = true;

    void add(String content, int id) {
        if (content.isEmpty()) {
            return;
        }
        Node n = root;
        for (int i = 0; i < content.length(); i++) {
            n = n.children.computeIfAbsent(content.charAt(i), c -> new Node());
        }
        n.id = id;
        empty = false;
    }

    boolean isEmpty() { return empty; }

    /** Receives the next match: token id and its char range. */
    interface MatchSink {
        void match(int id, int start, int end);
    }

    /** Reports every match in {@code text[from, to)}, left to right, non-overlapping. */
    void scan(String text, int from, int to, MatchSink sink) {
        if (empty) {
            return;
        }
        int pos = from;
        while (pos < to) {
            Node n = root.children.get(text.charAt(pos));
            if (n == null) {
                pos++;
                continue;
            }
            int bestId = n.id;
            int bestEnd = pos + 1;
            for (int i = pos + 1; i < to; i++) {
                n = n.children.get(text.charAt(i));
                if (n == null) {
                    break;
                }
                if (n.id >= 0) {
                    bestId = n.id;
                    bestEnd = i + 1;
                }
            }
            if (bestId >= 0) {
                sink.match(bestId, pos, bestEnd);
                pos = bestEnd;
            } else {
                pos++;
            }
        }
    }
}
