package dev.qvgen.quantizer;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Weight and activation bit widths, e.g. W4A4. Bits outside 2..8 are rejected. */
public record QuantSpec(int weightBits, int activationBits) {
    private static final Pattern FORMAT = Pattern.compile("w(\\d+)a(\\d+)");

    public static final QuantSpec W4A4 = new QuantSpec(4, 4);
    public static final QuantSpec W3A3 = new QuantSpec(3, 3);
    public static final QuantSpec W4A8 = new QuantSpec(4, 8);
    public static final QuantSpec W8A8 = new QuantSpec(8, 8);

    public QuantSpec {
        if (weightBits < 2 || weightBits > 8 || activationBits < 2 || activationBits > 8) {
            throw new IllegalArgumentException("bit widths must be 2..8, got w" + weightBits + "a" + activationBits);
        }
    }

    /** Parses "w4a4" (case-insensitive). */
    public static QuantSpec parse(String s) {
        Matcher m = FORMAT.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("bad bit width '" + s + "' (expected e.g. w4a4, w3a3, w4a8)");
        }
        return new QuantSpec(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    public String label() {
        return "w" + weightBits + "a" + activationBits;
    }
}
