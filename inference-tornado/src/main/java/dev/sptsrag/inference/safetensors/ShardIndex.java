package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model.safetensors.index.json}: which shard file holds each tensor of a sharded
 * checkpoint. Shard names are checked to stay inside the model folder, lexically: an index is
 * data, and must not make the engine open {@code ../../etc/passwd}. The check is on the name,
 * not on the resolved file, because the Hugging Face hub cache keeps shards as symbolic links
 * into a blob store outside the folder.
 */
record ShardIndex(Path file, Map<String, Path> shardOfTensor) {

    static final String FILE_NAME = "model.safetensors.index.json";

    ShardIndex {
        shardOfTensor = Collections.unmodifiableMap(new LinkedHashMap<>(shardOfTensor));
    }

    /** Reads {@code indexFile}, resolving shard names against {@code directory}. */
    static ShardIndex read(Path indexFile, Path directory) {
        String source = indexFile.toString();
        Map<String, Object> weightMap = JsonValues.object(Json.parseObject(indexFile), "weight_map", source);
        if (weightMap.isEmpty()) {
            throw new ModelFormatException(source + ": \"weight_map\" lists no tensors");
        }
        Map<String, Path> shardOfTensor = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : weightMap.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw new ModelFormatException(source + ": \"weight_map\" entry \"" + e.getKey()
                        + "\" must name a shard file");
            }
            shardOfTensor.put(e.getKey(), resolveInside(directory, shard, source));
        }
        return new ShardIndex(indexFile, shardOfTensor);
    }

    /** {@code directory/name}, provided {@code name} is a relative path that never climbs out. */
    static Path resolveInside(Path directory, String name, String source) {
        Path relative;
        try {
            relative = Path.of(name);
        } catch (InvalidPathException e) {
            throw new ModelFormatException(source + ": shard name \"" + name + "\" is not a valid file name");
        }
        if (name.isEmpty() || relative.isAbsolute() || relative.getRoot() != null) {
            throw new ModelFormatException(source + ": shard \"" + name + "\" must be a file name relative to "
                    + directory);
        }
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                throw new ModelFormatException(source + ": shard \"" + name + "\" points outside " + directory);
            }
        }
        return directory.resolve(relative);
    }
}
