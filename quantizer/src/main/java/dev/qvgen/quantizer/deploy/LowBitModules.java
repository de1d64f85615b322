package dev.qvgen.quantizer.deploy;

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
 * The TorchScript modules of the real low-bit path on CUDA (resources next to this class, made on
 * the GPU machine by {@code quantizer/scripts/make_lowbit_modules.py}). They call the
 * {@code qvgen_lowbit} ops, so libtorch must have loaded {@code libqvgen_lowbit.so} first: DJL
 * does so when {@code PYTORCH_EXTRA_LIBRARY_PATH} names it (built by
 * {@code quantizer/scripts/lowbit_ops.py --build}). Loaded once, on first use, like
 * {@code models.nn.ScriptedOp}; when a module cannot be loaded, {@link #unavailableReason()} says why.
 */
public enum LowBitModules {
    /** The whole linear: activation codes, FP8 or int8 GEMM, correction, bias. */
    LINEAR("lowbit_linear"),
    /** {@code codes.to(torch.float8_e4m3fn)}: DJL 0.36 cannot name a float8 type. */
    INT8_TO_FP8("int8_to_fp8");

    private final String file;
    private volatile boolean tried;
    private volatile Block block;
    private volatile String error;
    /** Held for the life of the JVM: DJL's BaseModel closes its module when it is finalized. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private Model model;

    LowBitModules(String file) {
        this.file = file;
    }

    public boolean available() {
        return block() != null;
    }

    public String unavailableReason() {
        return available() ? null : error;
    }

    public NDArray apply(NDArray... inputs) {
        Block b = block();
        if (b == null) {
            throw new IllegalStateException(file + ".pt unavailable: " + error);
        }
        return b.forward(new ParameterStore(inputs[0].getManager(), false), new NDList(inputs), false)
                .singletonOrThrow();
    }

    private Block block() {
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

    private Block load() throws IOException, ai.djl.MalformedModelException {
        if (!"PyTorch".equals(Engine.getDefaultEngineName())) {
            throw new IllegalStateException("engine " + Engine.getDefaultEngineName() + " cannot run TorchScript");
        }
        Path dir = Files.createTempDirectory("qvgen-" + file);
        Path pt = dir.resolve(file + ".pt");
        try (InputStream in = LowBitModules.class.getResourceAsStream(file + ".pt")) {
            if (in == null) {
                throw new IOException("resource dev/qvgen/quantizer/deploy/" + file + ".pt missing (made on a GPU "
                        + "machine by quantizer/scripts/make_lowbit_modules.py)");
            }
            Files.copy(in, pt, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
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
