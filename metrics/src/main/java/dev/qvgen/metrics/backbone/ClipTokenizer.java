package dev.qvgen.metrics.backbone;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * OpenAI CLIP's byte-level BPE tokenizer (clip/simple_tokenizer.py and {@code clip.tokenize}),
 * read from the published merges file {@code bpe_simple_vocab_16e6.txt.gz} (gzip or plain).
 * Text is HTML-unescaped twice, whitespace-collapsed and lower-cased; ftfy's mojibake repair is
 * not reproduced (it leaves ordinary prompts unchanged).
 */
public final class ClipTokenizer {
    /** Merges the reference keeps: lines 1 .. 49152-256-2 of the file. */
    static final int MAX_MERGES = 49152 - 256 - 2;
    private static final Pattern WORDS = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CHARACTER_CLASS);

    private final Map<String, Integer> encoder = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final String[] byteEncoder = new String[256];
    private final Map<String, String> cache = new LinkedHashMap<>();
    private final int sot;
    private final int eot;

    private ClipTokenizer(List<String[]> merges) {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bs.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bs.add(b);
        }
        List<Integer> cs = new ArrayList<>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) {
                bs.add(b);
                cs.add(256 + n++);
            }
        }
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < bs.size(); i++) {
            String ch = new String(Character.toChars(cs.get(i)));
            byteEncoder[bs.get(i)] = ch;
            vocab.add(ch);
        }
        int base = vocab.size();
        for (int i = 0; i < base; i++) {
            vocab.add(vocab.get(i) + "</w>");
        }
        for (int i = 0; i < merges.size(); i++) {
            String[] m = merges.get(i);
            vocab.add(m[0] + m[1]);
            ranks.put(m[0] + " " + m[1], i);
        }
        vocab.add("<|startoftext|>");
        vocab.add("<|endoftext|>");
        for (int i = 0; i < vocab.size(); i++) {
            encoder.put(vocab.get(i), i);
        }
        sot = encoder.get("<|startoftext|>");
        eot = encoder.get("<|endoftext|>");
        cache.put("<|startoftext|>", "<|startoftext|>");
        cache.put("<|endoftext|>", "<|endoftext|>");
    }

    /** @throws CheckpointException naming the file when it is missing or malformed */
    public static ClipTokenizer load(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read the BPE merges (" + e.getMessage() + ")", e);
        }
        String text;
        if (raw.length > 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CheckpointException(file + ": corrupt gzip (" + e.getMessage() + ")", e);
            }
        } else {
            text = new String(raw, StandardCharsets.UTF_8);
        }
        String[] lines = text.split("\n", -1);
        List<String[]> merges = new ArrayList<>();
        for (int i = 1; i < lines.length && merges.size() < MAX_MERGES; i++) {
            String[] pair = lines[i].trim().split("\\s+");
            if (pair.length == 1 && pair[0].isEmpty()) {
                continue; // the file ends with a newline
            }
            if (pair.length != 2) {
                throw new CheckpointException(file + ": line " + (i + 1) + " is not a BPE merge (two symbols)");
            }
            merges.add(pair);
        }
        if (merges.isEmpty()) {
            throw new CheckpointException(file + ": no BPE merges");
        }
        return new ClipTokenizer(merges);
    }

    public int startOfText() {
        return sot;
    }

    public int endOfText() {
        return eot;
    }

    /** BPE ids of the cleaned text, without start/end tokens. */
    public List<Integer> encode(String text) {
        String clean = unescape(unescape(text)).strip().replaceAll("\\s+", " ").strip().toLowerCase(Locale.ROOT);
        List<Integer> ids = new ArrayList<>();
        Matcher m = WORDS.matcher(clean);
        while (m.find()) {
            StringBuilder token = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                token.append(byteEncoder[b & 0xff]);
            }
            for (String piece : bpe(token.toString()).split(" ")) {
                ids.add(encoder.get(piece));
            }
        }
        return ids;
    }

    /**
     * {@code clip.tokenize([text], context_length)}: start token, ids, end token, zero padding.
     *
     * @throws IllegalArgumentException when the text is longer than the context (as clip.tokenize without truncate)
     */
    public long[] tokenize(String text, int contextLength) {
        List<Integer> ids = encode(text);
        if (ids.size() + 2 > contextLength) {
            throw new IllegalArgumentException("input '" + text + "' is too long for context length " + contextLength);
        }
        long[] out = new long[contextLength];
        out[0] = sot;
        for (int i = 0; i < ids.size(); i++) {
            out[i + 1] = ids.get(i);
        }
        out[ids.size() + 1] = eot;
        return out;
    }

    private synchronized String bpe(String token) {
        String cached = cache.get(token);
        if (cached != null) {
            return cached;
        }
        List<String> word = new ArrayList<>();
        int[] cps = token.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            String ch = new String(Character.toChars(cps[i]));
            word.add(i == cps.length - 1 ? ch + "</w>" : ch);
        }
        while (word.size() > 1) {
            int best = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < word.size(); i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < best) {
                    best = r;
                    first = word.get(i);
                    second = word.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>();
            int i = 0;
            while (i < word.size()) {
                if (i + 1 < word.size() && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i += 2;
                } else {
                    merged.add(word.get(i));
                    i++;
                }
            }
            word = merged;
        }
        String out = String.join(" ", word);
        if (cache.size() < 100_000) {
            cache.put(token, out);
        }
        return out;
    }

    /** The common HTML entities html.unescape resolves (named, decimal and hex numeric). */
    static String unescape(String s) {
        if (s.indexOf('&') < 0) {
            return s;
        }
        Matcher m = Pattern.compile("&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);?").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String e = m.group(1);
            String rep;
            if (e.startsWith("#")) {
                boolean hex = e.startsWith("#x") || e.startsWith("#X");
                String digits = e.substring(hex ? 2 : 1);
                int cp = digits.length() > 7 ? -1 : Integer.parseInt(digits, hex ? 16 : 10);
                // html.unescape maps invalid code points to U+FFFD
                rep = Character.isValidCodePoint(cp) && cp > 0 ? new String(Character.toChars(cp)) : "\ufffd";
            } else {
                rep = switch (e) {
                    case "amp" -> "&";
                    case "lt" -> "<";
                    case "gt" -> ">";
                    case "quot" -> "\"";
                    case "apos" -> "'";
                    default -> "\u00a0";
                };
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(rep));
        }
        m.appendTail(sb);
        return sb.toString();
    }
}
