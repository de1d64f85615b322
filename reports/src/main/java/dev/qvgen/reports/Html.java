package dev.qvgen.reports;

/** Escaping of text placed in HTML or SVG, so that prompts and notes can never become markup. */
public final class Html {
    private static final String REPLACEMENT = "\uFFFD";

    private Html() {}

    /**
     * Escapes the five markup characters, and replaces characters that XML forbids (control
     * characters, lone surrogates) so the SVG files stay parseable whatever a prompt contains.
     */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(s.length() + 16);
        s.codePoints().forEach(c -> {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (allowedInXml(c)) {
                        sb.appendCodePoint(c);
                    } else {
                        sb.append(REPLACEMENT);
                    }
                }
            }
        });
        return sb.toString();
    }

    private static boolean allowedInXml(int c) {
        if (c < 0x20) {
            return c == '\t' || c == '\n' || c == '\r';
        }
        return Character.getType(c) != Character.SURROGATE && c != 0xFFFE && c != 0xFFFF;
    }
}
