package dev.qvgen.layers.nn;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A committed TorchScript module on the classpath ({@code <name>.pt} next to its owner class),
 * loaded once on first use. When it cannot be loaded (another engine, a libtorch that rejects the
 * file, a custom op library not loaded) {@link #block()} is null and {@link #error()} says why, so
 * callers can fall back or report it.
 */
public final class TorchScriptResource {
    private final Class<?> owner;
    private final String file;
    private final String missingHint;
    private volatile boolean tried;
    private volatile Block block;
    private volatile String error;
    /** Held for the life of the JVM: DJL's BaseModel closes its module when it is finalized. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private Model model;

    /**
     * @param missingHint appended to the error when the resource is absent (e.g. which script makes it)
     */
    public TorchScriptResource(Class<?> owner, String file, String missingHint) {
        this.owner = owner;
        this.file = file;
        this.missingHint = missingHint;
    }

    public String file() {
        return file;
    }

    /** Why the module could not be loaded, or null (also before the first attempt). */
    public String error() {
        return error;
    }

    /** The loaded module, or null when it cannot be loaded. */
    public Block block() {
        if (!tried) {
            synchronized (this) {
                if (!tried) {
                    try {
                        block = load();
                    } catch (Exception | UnsatisfiedLinkError e) {
                        error = file + ".pt: " + e.getClass().getSimpleName() + ": " + e.getMessage();
                    }
                    tried = true;
                }
            }
        }
        return block;
    }

    /**
     * Runs the module; its result lives in the first input's manager.
     *
     * @param training true runs it without DJL's inference guard, so autograd records it when the
     *     inputs require gradients
     */
    public NDArray apply(boolean training, NDArray... inputs) {
        return applyList(training, inputs).singletonOrThrow();
    }

    /** {@link #apply} for a module that returns several tensors (a tuple), in its order. */
    public NDList applyList(boolean training, NDArray... inputs) {
        Block b = block();
        if (b == null) {
            throw new IllegalStateException(file + ".pt unavailable: " + error);
        }
        return b.forward(new ParameterStore(inputs[0].getManager(), false), new NDList(inputs), training);
    }

    private Block load() throws IOException, ai.djl.MalformedModelException {
        if (!"PyTorch".equals(Engine.getDefaultEngineName())) {
            throw new IllegalStateException("engine " + Engine.getDefaultEngineName() + " cannot run TorchScript");
        }
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            // The profiling graph executor would re-specialise each small graph per shape; nothing to fuse.
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
        Path dir = Files.createTempDirectory("qvgen-" + file);
        Path pt = dir.resolve(file + ".pt");
        try (InputStream in = owner.getResourceAsStream(file + ".pt")) {
            if (in == null) {
                throw new IOException("resource " + owner.getPackageName().replace('.', '/') + "/" + file
                        + ".pt missing" + (missingHint == null ? "" : " (" + missingHint + ")"));
            }
            Files.copy(in, pt, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            // No parameters: loaded once on the CPU, the module runs on whatever device its inputs are.
            Model m = Model.newInstance(file, Device.cpu(), "PyTorch");
            m.load(dir, file);
            model = m;
            return m.getBlock();
        } finally {
            Files.deleteIfExists(pt);
            Files.deleteIfExists(dir);
        }
    }
}
