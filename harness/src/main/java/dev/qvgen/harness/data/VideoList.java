package dev.qvgen.harness.data;

import dev.qvgen.harness.BadInputException;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The videos to prepare, in a fixed order (so shard k always covers the same entries): the rows of
 * an OpenVid-1M style CSV (a {@code video} column of paths relative to a video folder and a
 * {@code caption} column), or the {@code name.mp4} files of a folder, sorted by name, each captioned
 * by its {@code name.txt}.
 */
public final class VideoList {
    /**
     * One input video.
     *
     * @param name how the video is named in messages and the manifest (the CSV's path, or the file name)
     * @param problem null, or why the entry cannot be used before it is even opened (no caption file)
     */
    public record Entry(String name, Path video, String caption, String problem) {}

    private VideoList() {}

    public static List<Entry> read(Path videos, Path videoRoot, String videoColumn, String captionColumn) {
        if (Files.isDirectory(videos)) {
            if (videoRoot != null) {
                throw new BadInputException("--video-root goes with a CSV; " + videos + " is a folder of videos");
            }
            return folder(videos);
        }
        if (!Files.exists(videos)) {
            throw new BadInputException(videos + ": --videos not found (a CSV with " + videoColumn + " and "
                    + captionColumn + " columns, or a folder of name.mp4 + name.txt)");
        }
        Path root = videoRoot != null ? videoRoot : videos.toAbsolutePath().getParent();
        if (!Files.isDirectory(root)) {
            throw new BadInputException(root + ": --video-root is not a folder");
        }
        return csv(videos, root, videoColumn, captionColumn);
    }

    static List<Entry> csv(Path file, Path root, String videoColumn, String captionColumn) {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        List<Entry> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8); CSVParser p = format.parse(r)) {
            List<String> header = p.getHeaderNames();
            for (String col : List.of(videoColumn, captionColumn)) {
                if (!header.contains(col)) {
                    throw new BadInputException(file + ": no '" + col + "' column (columns: " + String.join(", ", header)
                            + ")");
                }
            }
            for (CSVRecord rec : p) {
                if (!rec.isConsistent()) {
                    throw new BadInputException(file + ": line " + rec.getParser().getCurrentLineNumber() + " has "
                            + rec.size() + " fields, the header " + header.size());
                }
                String v = rec.get(videoColumn).strip();
                if (v.isEmpty()) {
                    throw new BadInputException(file + ": line " + rec.getParser().getCurrentLineNumber()
                            + " has an empty '" + videoColumn + "'");
                }
                out.add(new Entry(v, root.resolve(v), rec.get(captionColumn).strip(), null));
            }
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            throw new BadInputException(file + ": not a readable CSV (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no rows");
        }
        return out;
    }

    static List<Entry> folder(Path dir) {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".mp4")).sorted()
                    .toList();
        } catch (IOException e) {
            throw new BadInputException(dir + ": cannot list (" + e.getMessage() + ")");
        }
        if (files.isEmpty()) {
            throw new BadInputException(dir + ": no .mp4 files");
        }
        List<Entry> out = new ArrayList<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            Path txt = f.resolveSibling(name.substring(0, name.length() - 4) + ".txt");
            if (!Files.isRegularFile(txt)) {
                out.add(new Entry(name, f, null, "no caption file " + txt.getFileName()));
                continue;
            }
            try {
                out.add(new Entry(name, f, Files.readString(txt, StandardCharsets.UTF_8).strip(), null));
            } catch (IOException e) {
                out.add(new Entry(name, f, null, "cannot read " + txt.getFileName() + " (" + e.getMessage() + ")"));
            }
        }
        return out;
    }
}
