package dev.qvgen.suites.plan;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** The built-in plans (resources under {@code dev/qvgen/suites/plans/}) and plan files. */
public final class Plans {
    /** The default plan of {@code qvgen reproduce}. */
    public static final String DEFAULT = "toy-smoke";

    /** The ablations of QVGen's mechanism on the toy world. */
    public static final String TOY_ABLATIONS = "toy-ablations";

    /** The default study on the 128-prompt toy suite, for paired differences of about +-0.015. */
    public static final String TOY_RESOLVE = "toy-resolve";

    /**
     * Built-in plan names: the toy smoke run, its 128-prompt version and the ablations, one per paper table
     * (target model), and the VBench suites.
     */
    public static final List<String> BUILT_IN = List.of(DEFAULT, TOY_RESOLVE, TOY_ABLATIONS, "paper-cogvideox-2b", "paper-cogvideox1.5-5b",
            "paper-wan2.1-t2v-1.3b", "paper-wan2.1-t2v-14b", "vbench-full", "vbench-per-dimension");

    private static final String RESOURCE_DIR = "/dev/qvgen/suites/plans/";

    private Plans() {}

    /**
     * A built-in plan by name, or a plan file by path.
     *
     * @throws PlanException unknown name, missing or unreadable file, or a bad plan
     */
    public static RunPlan load(String nameOrPath) {
        if (BUILT_IN.contains(nameOrPath)) {
            return builtIn(nameOrPath);
        }
        Path file = Path.of(nameOrPath);
        if (!Files.exists(file) && !nameOrPath.contains("/") && !nameOrPath.contains(".")) {
            throw new PlanException("unknown plan '" + nameOrPath + "' (built-in: " + String.join(", ", BUILT_IN)
                    + "; or the path of a plan .yaml file)");
        }
        return read(file);
    }

    /** A built-in plan; relative prompt paths in it are relative to the working directory. */
    public static RunPlan builtIn(String name) {
        if (!BUILT_IN.contains(name)) {
            throw new PlanException("unknown built-in plan '" + name + "' (known: " + String.join(", ", BUILT_IN)
                    + ")");
        }
        try (InputStream in = Plans.class.getResourceAsStream(RESOURCE_DIR + name + ".yaml")) {
            if (in == null) {
                throw new IllegalStateException("built-in plan resource missing: " + name);
            }
            return PlanParser.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in:" + name, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A plan file; relative prompt paths in it are relative to the file's directory. */
    public static RunPlan read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new PlanException(file + ": plan file not found", e);
        } catch (IOException e) {
            throw new PlanException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return PlanParser.parse(text, file.toString(), dir);
    }

    /** The text of a built-in plan, e.g. to start a custom plan from. */
    public static String builtInText(String name) {
        builtIn(name);
        try (InputStream in = Plans.class.getResourceAsStream(RESOURCE_DIR + name + ".yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
