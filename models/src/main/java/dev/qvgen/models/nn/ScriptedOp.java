package dev.qvgen.models.nn;

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
 * One PyTorch op that DJL 0.36 has no binding for, reached through a tiny committed TorchScript
 * module (resources next to this class, made by {@code models/scripts/make_scripted_ops.py}).
 *
 * <p>Spelled with DJL's elementwise ops, such an op costs one full pass over the tensor per op;
 * through its module it is PyTorch's single kernel, the one eager PyTorch runs. Measured on an
 * H200 at Wan2.1-1.3B's published size (bench/op_costs.py): GELU(tanh) 2.90 ms as DJL ops vs
 * 0.33 ms fused, RMSNorm 0.36 vs 0.08 ms, together about 90 ms of an 815 ms forward.
 *
 * <p>Each module is loaded once, on first use; when it cannot be loaded (another engine, a
 * libtorch that rejects the file) {@link #available()} is false with {@link #unavailableReason()},
 * and callers fall back to their DJL spelling. The system property {@code qvgen.scripted=false}
 * turns GELU's and RMSNorm's modules off, to compare the two spellings.
 */
public enum ScriptedOp {
    /** {@code F.scaled_dot_product_attention(q, k, v)} on (B, H, L, D). */
    SDPA("sdpa"),
    /** {@code F.gelu(x, approximate="tanh")}. */
    GELU_TANH("gelu_tanh"),
    /** {@code F.rms_norm(x, [x.size(-1)], weight, eps)}, eps as a CPU scalar tensor. */
    RMS_NORM("rms_norm"),
    /** {@code x.to(torch.bfloat16)}: the only way DJL 0.36 gets a bfloat16 tensor (see {@link Precision}). */
    TO_BF16("to_bf16"),
    /** {@code x.to(like.dtype)}: a cast to a type DJL cannot name (bfloat16). */
    TYPE_AS("type_as");

    private final String file;
    private volatile boolean tried;
    private volatile Block block;
    private volatile String error;
    /** Held for the life of the JVM: DJL's BaseModel closes its module when it is finalized. */
    @SuppressWarnings({"unused", "FieldCanBeLocal"})
    private Model model;

    ScriptedOp(String file) {
        this.file = file;
    }

    /** Whether the module loaded and is switched on. */
    public boolean available() {
        if ((this == GELU_TANH || this == RMS_NORM) && "false".equalsIgnoreCase(System.getProperty("qvgen.scripted"))) {
            return false;
        }
        return block() != null;
    }

    /** Why the module cannot be used, or null if it can. */
    public String unavailableReason() {
        if (available()) {
            return null;
        }
        return error != null ? error : "switched off by -Dqvgen.scripted=false";
    }

    /** Runs the op; its result lives in the first input's manager. */
    public NDArray apply(NDArray... inputs) {
        Block b = block();
        if (b == null) {
            throw new IllegalStateException(file + ".pt unavailable: " + error);
        }
        // training=true: the module runs without DJL's inference guard, so autograd records it
        // when the inputs require gradients (none of these ops behaves differently in training).
        return b.forward(new ParameterStore(inputs[0].getManager(), false), new NDList(inputs), true)
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
        if (System.getProperty("ai.djl.pytorch.graph_optimizer") == null) {
            // The profiling graph executor would re-specialise each one-op graph per shape; nothing to fuse.
            System.setProperty("ai.djl.pytorch.graph_optimizer", "false");
        }
        Path dir = Files.createTempDirectory("qvgen-" + file);
        Path pt = dir.resolve(file + ".pt");
        try (InputStream in = ScriptedOp.class.getResourceAsStream(file + ".pt")) {
            if (in == null) {
                throw new IOException("resource dev/qvgen/models/nn/" + file + ".pt missing");
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
