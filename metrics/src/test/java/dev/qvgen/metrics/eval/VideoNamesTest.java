package dev.qvgen.metrics.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Issue #16: VBench-2.0's {prompt[:180]}-{i}.mp4, safe and within 255 bytes, mapped back to the prompt. */
class VideoNamesTest {
    @TempDir
    Path tmp;

    static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    @Test
    void shortPromptsKeepVbenchsNames() {
        assertEquals("a dog runs on the beach-0.mp4", VideoNames.fileName("a dog runs on the beach", 0));
        assertEquals("a red circle moves left slowly-12.mp4", VideoNames.fileName("a red circle moves left slowly", 12));
    }

    @Test
    void longPromptsAreCutTo180CharactersAnd255Bytes() {
        String ascii = "a".repeat(210);
        assertEquals("a".repeat(180) + "-3.mp4", VideoNames.fileName(ascii, 3), "prompt[:180] as Python cuts it");
        String cjk = "猫".repeat(300); // 3 bytes each: 180 characters would be 540 bytes
        String name = VideoNames.fileName(cjk, 9999);
        assertTrue(bytes(name) <= 255, bytes(name) + " bytes");
        assertTrue(name.startsWith("猫".repeat(80)), name);
        String emoji = "🐱".repeat(200); // 4 bytes and two UTF-16 units each: never split
        String e = VideoNames.stem(emoji);
        assertTrue(bytes(e + "-0.mp4") <= 255);
        assertEquals(0, e.length() % 2);
        assertEquals(e, "🐱".repeat(e.length() / 2));
    }

    @Test
    void separatorsDotsAndControlCharactersStayInsideTheDirectory() throws IOException {
        String evil = "../../etc/passwd\nrm -rf /\t\0x";
        String name = VideoNames.fileName(evil, 0);
        assertFalse(name.contains("/"), name);
        assertFalse(name.chars().anyMatch(c -> c < 32), name);
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Path video = out.resolve(name).normalize();
        assertEquals(out, video.getParent(), "inside --out");
        Files.writeString(video, "x");
        assertTrue(Files.exists(video));
        assertEquals("..-0.mp4", VideoNames.fileName("..", 0), "'..' alone is an ordinary name once suffixed");
    }

    @Test
    void promptIndexMapsCutAndSanitisedNamesBackToTheirPrompts() throws IOException {
        String longPrompt = "a cinematic shot of ".repeat(20).strip();
        String slashed = "a cat/dog hybrid ../ walks\tslowly";
        String other = "a dog runs on the beach";
        Path file = tmp.resolve("prompts.txt");
        Files.writeString(file, longPrompt + "\n" + slashed + "\n" + other + "\n");
        PromptIndex index = PromptIndex.load(file);
        assertEquals(longPrompt, index.lookup(VideoNames.fileName(longPrompt, 4)).prompt());
        assertEquals(other, index.lookup(VideoNames.fileName(other, 0)).prompt());
        // the tab of the slashed prompt is a control character: the .txt strips nothing inside a line
        assertEquals(slashed, index.lookup(VideoNames.fileName(slashed, 1)).prompt());
        assertNull(index.lookup(VideoNames.fileName(other, 0)).dimensions());
    }

    @Test
    void twoPromptsSharingTheirFirst180CharactersAreReportedNotGuessed() throws IOException {
        String a = "x".repeat(180) + " first";
        String b = "x".repeat(180) + " second";
        Path file = tmp.resolve("p.txt");
        Files.writeString(file, a + "\n" + b + "\n");
        PromptIndex index = PromptIndex.load(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> index.lookup(VideoNames.fileName(a, 0)));
        assertTrue(e.getMessage().contains("several prompts"), e.getMessage());
    }

    @Test
    void aTornLastLineOfTheResumeLogIsDroppedWithANotice() throws IOException {
        Path log = tmp.resolve("qvgen_per_video.jsonl");
        String whole = "{\"videoPath\":\"v/a-0.mp4\",\"prompt\":\"a\",\"results\":{\"x\":1.0},\"details\":{}}\n";
        Files.writeString(log, whole + "{\"videoPath\":\"v/b-0.mp4\",\"pro");
        String notice = VBenchEvaluation.dropTornLastLine(log);
        assertTrue(notice != null && notice.contains("dropped a torn last line"), String.valueOf(notice));
        assertEquals(whole, Files.readString(log), "the whole records stay byte for byte");
        assertNull(VBenchEvaluation.dropTornLastLine(log), "a whole log is left alone");
        assertEquals(1, VBenchEvaluation.readRecords(log).size());
    }
}
