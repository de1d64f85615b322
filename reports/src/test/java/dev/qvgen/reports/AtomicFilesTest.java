package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

class AtomicFilesTest {
    @TempDir
    Path tmp;

    @Test
    void failedWriteKeepsTheOldContentAndLeavesNoTemporaryFile() throws IOException {
        Path f = tmp.resolve("report.md");
        AtomicFiles.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("half of the new");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of(f), Files.list(tmp).toList());
    }

    @Test
    void createsMissingParentDirectories() throws IOException {
        Path f = tmp.resolve("plots/deep/x.svg");
        AtomicFiles.writeString(f, "<svg/>");
        assertEquals("<svg/>", Files.readString(f));
    }
}
