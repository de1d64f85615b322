package dev.qvgen.reports;

import java.util.List;
import java.util.Locale;

/**
 * Builds an SVG document element by element. Every number goes through one Locale.ROOT format,
 * so the same chart gives the same bytes on every machine.
 */
final class Svg {
    /** Rough advance of an average sans-serif character per pixel of font size; used for layout only. */
    static final double CHAR_WIDTH = 0.6;

    private final StringBuilder sb = new StringBuilder();

    Svg(double width, double height, String title) {
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(n(width)).append("\" height=\"")
                .append(n(height)).append("\" viewBox=\"0 0 ").append(n(width)).append(' ').append(n(height))
                .append("\" font-family=\"sans-serif\" role=\"img\">\n");
        sb.append("<title>").append(Html.escape(title)).append("</title>\n");
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    }

    static double textWidth(String s, double fontSize) {
        return s.length() * fontSize * CHAR_WIDTH;
    }

    Svg line(double x1, double y1, double x2, double y2, String stroke, double width) {
        sb.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                .append("\" y2=\"").append(n(y2)).append("\" stroke=\"").append(stroke).append("\" stroke-width=\"")
                .append(n(width)).append("\"/>\n");
        return this;
    }

    /** A filled rectangle; a non-null tooltip becomes a child {@code <title>}, which viewers show on hover. */
    Svg rect(double x, double y, double w, double h, String fill, String tooltip) {
        sb.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" fill=\"").append(fill).append('"');
        if (tooltip == null) {
            sb.append("/>\n");
        } else {
            sb.append("><title>").append(Html.escape(tooltip)).append("</title></rect>\n");
        }
        return this;
    }

    Svg circle(double cx, double cy, double r, String fill) {
        sb.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
                .append("\" fill=\"").append(fill).append("\"/>\n");
        return this;
    }

    /** Connected points; nothing is drawn for fewer than two. */
    Svg polyline(List<double[]> xy, String stroke, double width) {
        if (xy.size() < 2) {
            return this;
        }
        sb.append("<polyline fill=\"none\" stroke=\"").append(stroke).append("\" stroke-width=\"").append(n(width))
                .append("\" stroke-linejoin=\"round\" points=\"");
        for (int i = 0; i < xy.size(); i++) {
            sb.append(i == 0 ? "" : " ").append(n(xy.get(i)[0])).append(',').append(n(xy.get(i)[1]));
        }
        sb.append("\"/>\n");
        return this;
    }

    /**
     * Text anchored at (x, y).
     *
     * @param anchor  "start", "middle" or "end"
     * @param rotate  degrees about the anchor point; 0 for none
     * @param style   extra presentation attributes, e.g. {@code font-weight="bold"}; "" for none
     */
    Svg text(double x, double y, String text, double size, String anchor, double rotate, String style) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"").append(n(size))
                .append("\" text-anchor=\"").append(anchor).append('"');
        if (rotate != 0) {
            sb.append(" transform=\"rotate(").append(n(rotate)).append(' ').append(n(x)).append(' ').append(n(y))
                    .append(")\"");
        }
        if (!style.isEmpty()) {
            sb.append(' ').append(style);
        }
        sb.append('>').append(Html.escape(text)).append("</text>\n");
        return this;
    }

    String end() {
        return sb + "</svg>\n";
    }

    private static String n(double v) {
        String s = String.format(Locale.ROOT, "%.1f", v);
        // "12.0" → "12" and "-0.0" → "0": shorter files, and no negative zero from rounding.
        if (s.endsWith(".0")) {
            s = s.substring(0, s.length() - 2);
        }
        return s.equals("-0") ? "0" : s;
    }
}
