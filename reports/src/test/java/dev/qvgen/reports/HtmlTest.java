package dev.qvgen.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HtmlTest {
    @Test
    void escapesMarkupAndReplacesCharactersXmlForbids() {
        assertEquals("&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;", Html.escape("<a href=\"x\">&'</a>"));
        assertEquals("a\uFFFDb\tc\uFFFD", Html.escape("a\u0000b\tc\uD800"));
        assertEquals("ü 😀", Html.escape("ü 😀"));
        assertEquals("", Html.escape(null));
    }
}
