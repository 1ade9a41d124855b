package dev.sptsrag.inference.decoder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keys and values of prompt prefixes kept for reuse: a sequence whose prompt starts with the same tokens as one
 * seen before (a system prompt, a chat history, the same retrieved documents) takes those blocks of the
 * {@link KvCache} into its own tables instead of computing them again. A kept prefix is a chain of full blocks:
 * block {@code b} of a prompt is found by a hash of its {@code blockSize} tokens and of block {@code b - 1}'s
 * key, and its tokens are compared too, so a hit is the very same tokens at the very same positions. One entry
 * holds that token range's block in every layer.
 *
 * <p>Only prompts prefilled in full are kept and only full prefills reuse them: an SPTS prefill leaves layers
 * with a subset of the tokens, which is not the prefix another request would compute. Entries hold their
 * blocks (one reference each) until the pool runs short: then the least recently used go first, a chain's
 * later blocks before its earlier ones, and only blocks no sequence holds are freed.
 */
public final class PrefixCache implements KvCache.Reclaimer {
    private final KvCache cache;
    private final int blockSize;
    private final int layers;
    private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>(64, 0.75f, true); // oldest use first
    private final List<Entry> chain = new ArrayList<>();

    private record Entry(long key, int[] tokens, int[] blocks) {
    }

    public PrefixCache(KvCache cache) {
        this.cache = cache;
        this.blockSize = cache.blockSize();
        this.layers = cache.layers();
        cache.reclaimWith(this);
    }

    /**
     * Gives open, empty sequence {@code s} the longest kept prefix of {@code tokens[0..length)}, leaving at least
     * its last token to compute (its logits are needed).
     *
     * @return tokens reused: a multiple of the block size
     */
    public int reuse(int s, int[] tokens, int length) {
        int full = (length - 1) / blockSize;
        long key = 0;
        chain.clear();
        for (int b = 0; b < full; b++) {
            key = key(key, tokens, b * blockSize);
            Entry e = entries.get(key);
            if (e == null || !Arrays.equals(e.tokens, 0, blockSize, tokens, b * blockSize, (b + 1) * blockSize)) {
                break;
            }
            cache.appendShared(s, e.blocks);
            chain.add(e);
        }
        int reused = chain.size() * blockSize;
        touchBackwards();
        return reused;
    }

    /**
     * Keeps the full blocks of the first {@code length} tokens of sequence {@code s}, whose every layer holds
     * them densely (a full prefill), unless kept already.
     */
    public void keep(int s, int[] tokens, int length) {
        int full = Math.min(length, cache.capacity()) / blockSize;
        long key = 0;
        chain.clear();
        for (int b = 0; b < full; b++) {
            key = key(key, tokens, b * blockSize);
            Entry e = entries.get(key);
            if (e == null) {
                int[] blocks = new int[layers];
                for (int l = 0; l < layers; l++) {
                    blocks[l] = cache.block(s, l, b);
                    cache.ref(blocks[l]);
                }
                e = new Entry(key, Arrays.copyOfRange(tokens, b * blockSize, (b + 1) * blockSize), blocks);
                entries.put(key, e);
            } else if (!Arrays.equals(e.tokens, 0, blockSize, tokens, b * blockSize, (b + 1) * blockSize)) {
                break; // a hash collision: the chain stops here
            }
            chain.add(e);
        }
        touchBackwards();
    }

    /** Marks a chain used, its first block last, so that eviction takes a chain from its end. */
    private void touchBackwards() {
        for (int i = chain.size() - 1; i >= 0; i--) {
            entries.get(chain.get(i).key);
        }
        chain.clear();
    }

    @Override
    public int reclaim(int needed) {
        int freed = 0;
        Iterator<Map.Entry<Long, Entry>> it = entries.entrySet().iterator();
        while (freed < needed && it.hasNext()) {
            Entry e = it.next().getValue();
            if (onlyKeptHere(e)) {
                it.remove();
                for (int block : e.blocks) {
                    cache.unref(block);
                }
                freed += layers;
            }
        }
        return freed;
    }

    @Override
    public int reclaimable() {
        int n = 0;
        for (Entry e : entries.values()) {
            if (onlyKeptHere(e)) {
                n += layers;
            }
        }
        return n;
    }

    private boolean onlyKeptHere(Entry e) {
        for (int block : e.blocks) {
            if (cache.holders(block) != 1) {
                return false;
            }
        }
        return true;
    }

    /** Forgets every kept prefix (blocks that no sequence holds go back to the pool). */
    public void clear() {
        for (Entry e : entries.values()) {
            for (int block : e.blocks) {
                cache.unref(block);
            }
        }
        entries.clear();
    }

    /** Full blocks kept. */
    public int entries() { return entries.size(); }

    /** The key of the block of {@code blockSize} tokens at {@code from}, after the block whose key is {@code previous}. */
    private long key(long previous, int[] tokens, int from) {
        long h = previous * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
        for (int i = from; i < from + blockSize; i++) {
            h ^= tokens[i] & 0xFFFFFFFFL;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        return h;
    }
}
