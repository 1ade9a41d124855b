package dev.sptsrag.inference.gguf;

import java.util.List;

/**
 * Everything in a GGUF file before the tensor bytes, already validated against the file's length.
 *
 * @param version     2 or 3
 * @param metadata    the key/value metadata, in file order
 * @param tensorInfos the tensor-info table, in file order
 * @param alignment   {@code general.alignment}, or 32 when the file does not set it
 * @param dataOffset  absolute offset of the data section (tensor offsets are relative to it)
 */
record GgufHeader(int version, GgufMetadata metadata, List<GgufTensorInfo> tensorInfos, long alignment,
                  long dataOffset) {
    GgufHeader {
        tensorInfos = List.copyOf(tensorInfos);
    }
}
