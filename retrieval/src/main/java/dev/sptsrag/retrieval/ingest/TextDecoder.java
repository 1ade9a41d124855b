package dev.sptsrag.retrieval.ingest;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes the bytes of a text file (plain text, Markdown): UTF-8 with or without a byte order mark,
 * UTF-16 with one, and windows-1252 for older files that are not valid UTF-8. A file with NUL bytes
 * is binary, not text.
 */
final class TextDecoder {
    private static final Charset WINDOWS_1252 = Charset.forName("windows-1252");

    private TextDecoder() {}

    /** The text, with line ends normalised to "\n". */
    static String decode(String source, byte[] content) {
        String text;
        if (startsWith(content, 0xEF, 0xBB, 0xBF)) {
            text = strictUtf8(source, content, 3);
        } else if (startsWith(content, 0xFE, 0xFF) || startsWith(content, 0xFF, 0xFE)) {
            text = new String(content, StandardCharsets.UTF_16);
        } else {
            text = strictUtf8(source, content, 0);
        }
        if (text.indexOf('\0') >= 0) {
            throw new UnsupportedDocumentException(source, "binary content (NUL bytes), not a text file");
        }
        return text.replace("\r\n", "\n").replace('\r', '\n');
    }

    private static String strictUtf8(String source, byte[] content, int offset) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content, offset, content.length - offset))
                    .toString();
        } catch (CharacterCodingException notUtf8) {
            // Not UTF-8: the commonest legacy encoding of Western text decodes any byte sequence.
            return new String(content, offset, content.length - offset, WINDOWS_1252);
        }
    }

    private static boolean startsWith(byte[] content, int... prefix) {
        if (content.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((content[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
