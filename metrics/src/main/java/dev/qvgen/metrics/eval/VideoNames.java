package dev.qvgen.metrics.eval;

import java.nio.charset.StandardCharsets;

/**
 * Video file names as VBench-2.0's standard mode and the official QVGen sampling scripts write
 * them: {@code {prompt[:180]}-{i}.mp4}, the prompt cut to 180 characters (code points, as Python
 * slices). Two things are added so that any prompt gives a file inside the output directory:
 * a path separator, NUL or control character becomes {@code _} (a name can then neither leave
 * the directory nor hold a line break; VBench's own prompts contain none of these), and the cut
 * prompt is cut further, at a character boundary, until the name fits the file systems' 255-byte
 * limit in UTF-8 (180 characters of CJK or emoji are 540 to 720 bytes). The stem does not depend
 * on the index (room is kept for {@code -9999.mp4}), so every sample of a prompt shares it and
 * {@link PromptIndex} maps a name back to its prompt.
 */
public final class VideoNames {
    /** Characters of the prompt kept, as VBench-2.0 and QVGen's scripts do. */
    public static final int PROMPT_CHARS = 180;
    /** The longest file name (bytes) ext4, XFS, btrfs and tmpfs take. */
    public static final int MAX_NAME_BYTES = 255;
    private static final int SUFFIX_ROOM = "-9999.mp4".length();

    private VideoNames() {}

    /** {@code <stem>-<index>.mp4}. */
    public static String fileName(String prompt, int index) {
        if (index < 0 || index > 9999) {
            throw new IllegalArgumentException("sample index " + index + " outside 0..9999");
        }
        return stem(prompt) + "-" + index + ".mp4";
    }

    /** The prompt as it appears in its videos' names: cut, made safe, at most 246 bytes. */
    public static String stem(String prompt) {
        StringBuilder out = new StringBuilder();
        int bytes = 0;
        int chars = 0;
        for (int i = 0; i < prompt.length() && chars < PROMPT_CHARS; ) {
            int cp = prompt.codePointAt(i);
            i += Character.charCount(cp);
            chars++;
            int safe = cp == '/' || cp == 0 || Character.getType(cp) == Character.CONTROL ? '_' : cp;
            int n = new String(Character.toChars(safe)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > MAX_NAME_BYTES - SUFFIX_ROOM) {
                break;
            }
            out.appendCodePoint(safe);
            bytes += n;
        }
        return out.toString();
    }
}
