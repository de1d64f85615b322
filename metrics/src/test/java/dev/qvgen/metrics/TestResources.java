package dev.qvgen.metrics;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Test resources as file paths. */
public final class TestResources {
    private TestResources() {
    }

    /** A torch-format file made by src/test/resources/torch/make_fixtures.py. */
    public static Path torch(String name) {
        URL url = TestResources.class.getResource("/torch/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource /torch/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
