package dev.qvgen.harness.run;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.layers.io.IoErrors;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Short SHA-256 fingerprints of settings and of weights, for {@link RunSettings}. A file up to
 * {@link #WHOLE_FILE_LIMIT} is hashed whole; a larger one (a published checkpoint of gigabytes) by
 * its size, its first and its last MiB: a safetensors header (names, dtypes, shapes, offsets) is
 * at the start, so a different checkpoint differs there, without reading gigabytes per run.
 */
public final class Fingerprint {
    public static final long WHOLE_FILE_LIMIT = 64L << 20;
    private static final int EDGE = 1 << 20;

    private Fingerprint() {}

    /** The fingerprint of some strings, in order. */
    public static String of(String... parts) {
        MessageDigest d = sha256();
        for (String p : parts) {
            byte[] b = (p == null ? "\0null" : p).getBytes(StandardCharsets.UTF_8);
            d.update(ByteBuffer.allocate(4).putInt(b.length).array());
            d.update(b);
        }
        return HexFormat.of().formatHex(d.digest()).substring(0, 16);
    }

    /** The fingerprint of a file's content (see the class comment for large files). */
    public static String ofFile(Path file) {
        try {
            long size = Files.size(file);
            MessageDigest d = sha256();
            d.update(ByteBuffer.allocate(8).putLong(size).array());
            if (size <= WHOLE_FILE_LIMIT) {
                try (InputStream in = Files.newInputStream(file)) {
                    byte[] buf = new byte[1 << 16];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        d.update(buf, 0, n);
                    }
                }
            } else {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    d.update(read(ch, 0, EDGE));
                    d.update(read(ch, size - EDGE, EDGE));
                }
            }
            return HexFormat.of().formatHex(d.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new BadInputException(IoErrors.describe(e, file));
        }
    }

    /** The fingerprint of every regular file below {@code dir} (relative names and contents). */
    public static String ofDirectory(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new BadInputException(IoErrors.describe(e, dir));
        }
        String[] parts = new String[files.size() * 2];
        for (int i = 0; i < files.size(); i++) {
            parts[2 * i] = dir.relativize(files.get(i)).toString();
            parts[2 * i + 1] = ofFile(files.get(i));
        }
        return of(parts);
    }

    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                break;
            }
        }
        return b.flip();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
