package dev.qvgen.layers.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.HalfFloat;
import dev.qvgen.layers.io.TensorInfo;
import dev.qvgen.layers.io.WeightSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;

/**
 * The tensors of a PyTorch checkpoint written by {@code torch.save} (the zip format of torch
 * 1.6+: {@code <archive>/data.pkl} plus one raw little-endian file per storage under
 * {@code <archive>/data/}), and of TorchScript archives such as OpenAI's {@code ViT-B-32.pt}
 * (the same layout, with the module tree pickled in {@code data.pkl}).
 *
 * <p>{@code data.pkl} is read with Pyrolite's unpickler; the torch globals it references are
 * given Java stand-ins here. Tensors are named by their dotted path from the pickled root: a
 * plain state dict keeps its keys, a wrapper ({@code {"model": state_dict}}) yields
 * {@code model.*}, and a TorchScript module tree yields the module's state-dict names. Storage
 * bytes are read only when a tensor is loaded. The legacy (pre-1.6, non-zip) format is
 * rejected with a clear message.
 */
public final class TorchPickle implements WeightSource {

    static {
        // Pyrolite keeps constructors in one static table; these names are torch's own, so
        // registering them globally cannot clash with another pickle user in this JVM.
        Unpickler.registerConstructor("collections", "OrderedDict", args -> new StateDict());
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor_v2", TorchPickle::rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_tensor", TorchPickle::rebuildTensor);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter", args -> args[0]);
        Unpickler.registerConstructor("torch._utils", "_rebuild_parameter_with_state", args -> args[0]);
        // TorchScript wraps typed lists and tagged containers in these helpers; the value is the argument
        for (String helper : new String[] {"build_intlist", "build_tensorlist", "build_doublelist", "build_boollist",
                "build_genericlist", "restore_type_tag"}) {
            Unpickler.registerConstructor("torch.jit._pickle", helper, args -> args[0]);
        }
        for (String[] s : new String[][] {
                {"FloatStorage", "F32"}, {"HalfStorage", "F16"}, {"BFloat16Storage", "BF16"},
                {"DoubleStorage", "F64"}, {"LongStorage", "I64"}, {"IntStorage", "I32"},
                {"ShortStorage", "I16"}, {"CharStorage", "I8"}, {"ByteStorage", "U8"},
                {"BoolStorage", "BOOL"}}) {
            Unpickler.registerConstructor("torch", s[0], new StorageType(s[1]));
        }
    }

    /** An OrderedDict; torch.save gives state dicts a {@code _metadata} attribute, set by BUILD. */
    public static final class StateDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;

        public void __setstate__(HashMap<?, ?> state) {
            // attributes such as _metadata describe module versions, not tensors: ignored
        }
    }

    /** The class object {@code torch.FloatStorage} etc.; only its element type matters. */
    record StorageType(String dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("torch." + dtype + " storages are not constructed directly");
        }
    }

    /** A storage named by the persistent id {@code ('storage', type, key, location, numel)}. */
    record StorageRef(String dtype, String key, long numel) {
    }

    /** A strided view of a storage, as {@code torch._utils._rebuild_tensor_v2} describes it. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        boolean contiguous() {
            long expected = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                if (shape[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
            return true;
        }
    }

    private static Object rebuildTensor(Object[] args) {
        if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
            throw new PickleException("_rebuild_tensor: expected (storage, offset, size, stride, ...), got "
                    + Arrays.deepToString(args));
        }
        return new TensorRef(storage, toLong(args[1]), toLongs(args[2]), toLongs(args[3]));
    }

    private static long toLong(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new PickleException("expected an integer, got " + o);
    }

    private static long[] toLongs(Object o) {
        if (o instanceof Object[] tuple) {
            long[] out = new long[tuple.length];
            for (int i = 0; i < tuple.length; i++) {
                out[i] = toLong(tuple[i]);
            }
            return out;
        }
        if (o instanceof List<?> list) {
            return toLongs(list.toArray());
        }
        throw new PickleException("expected a tuple of integers, got " + o);
    }

    /**
     * The globals a checkpoint may name: torch's tensor and storage rebuilders, the containers
     * around them, TorchScript's module classes and list helpers, and a few data-only types that
     * training scripts save beside the weights (argparse.Namespace, numpy scalars and arrays).
     * Pyrolite runs no Python, but an unknown global would still be accepted as a dictionary:
     * a pickle that names {@code os.system} or {@code builtins.eval} is not a checkpoint, and is
     * refused with the name.
     */
    static final java.util.Set<String> ALLOWED_GLOBALS = java.util.Set.of(
            "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
            "torch.jit._pickle.build_intlist", "torch.jit._pickle.build_tensorlist",
            "torch.jit._pickle.build_doublelist", "torch.jit._pickle.build_boollist",
            "torch.jit._pickle.build_genericlist", "torch.jit._pickle.restore_type_tag",
            "torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.DoubleStorage",
            "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage",
            "torch.BoolStorage", "torch.Size", "torch.device", "builtins.set", "builtins.frozenset",
            "builtins.bytearray", "__builtin__.set", "__builtin__.frozenset", "__builtin__.bytearray",
            "_codecs.encode", "argparse.Namespace", "numpy.core.multiarray._reconstruct",
            "numpy.core.multiarray.scalar", "numpy._core.multiarray._reconstruct", "numpy._core.multiarray.scalar",
            "numpy.ndarray", "numpy.dtype");

    /** Whether {@code module.name} may appear in a checkpoint (TorchScript's own classes live under __torch__). */
    static boolean allowedGlobal(String module, String name) {
        return ALLOWED_GLOBALS.contains(module + "." + name) || module.equals("__torch__")
                || module.startsWith("__torch__.");
    }

    private static final class TorchUnpickler extends Unpickler {
        /** Checks every global before Pyrolite resolves it; see {@link #ALLOWED_GLOBALS}. */
        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            switch (key) {
                case Opcodes.GLOBAL: {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    check(module, name);
                    net.razorvine.pickle.IObjectConstructor c = objectConstructors.get(module + "." + name);
                    stack.add(c != null ? c : new net.razorvine.pickle.objects.ClassDictConstructor(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL: {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    check(String.valueOf(module), String.valueOf(name));
                    stack.add(module);
                    stack.add(name);
                    return super.dispatch(key);
                }
                case Opcodes.INST: {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    throw new PickleException("refused class " + module + "." + name + " (the INST opcode, which "
                            + "torch.save never writes)");
                }
                case Opcodes.EXT1:
                case Opcodes.EXT2:
                case Opcodes.EXT4:
                    throw new PickleException("refused an extension-registry global (opcode EXT), which torch.save "
                            + "never writes");
                default:
                    return super.dispatch(key);
            }
        }

        private static void check(String module, String name) {
            if (!allowedGlobal(module, name)) {
                throw new PickleException("refused global " + module + "." + name + ": not a tensor, container or "
                        + "data type a checkpoint holds (loading a .pth never runs code)");
            }
        }

        @Override
        protected Object persistentLoad(Object pid) {
            if (pid instanceof Object[] t && t.length >= 5 && "storage".equals(t[0])
                    && t[1] instanceof StorageType type) {
                return new StorageRef(type.dtype(), String.valueOf(t[2]), toLong(t[4]));
            }
            throw new PickleException("unsupported persistent id " + (pid instanceof Object[] a
                    ? Arrays.deepToString(a) : String.valueOf(pid)));
        }
    }

    private final Path path;
    private final ZipFile zip;
    private final String prefix;
    private final Map<String, TensorRef> tensors;
    private final boolean torchScript;

    private TorchPickle(Path path, ZipFile zip, String prefix, Map<String, TensorRef> tensors) {
        this.path = path;
        this.zip = zip;
        this.prefix = prefix;
        this.tensors = tensors;
        this.torchScript = zip.getEntry(prefix + "constants.pkl") != null;
    }

    /**
     * Whether this is a TorchScript archive (it has {@code constants.pkl}): its names come from the
     * module tree, which may hold tensor attributes that are not in the module's state dict.
     */
    public boolean torchScript() {
        return torchScript;
    }

    /** @throws CheckpointException naming the file if it is missing, not a torch zip checkpoint, or corrupt */
    public static TorchPickle open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new CheckpointException(path + ": file not found");
        }
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (ZipException e) {
            throw new CheckpointException(path + ": not a zip-format PyTorch checkpoint (legacy torch.save "
                    + "files from torch < 1.6 are not supported; re-save with a newer torch)", e);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            String pkl = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - "/data.pkl".length()) {
                    pkl = name;
                    break;
                }
            }
            if (pkl == null) {
                throw new CheckpointException(path + ": zip has no <archive>/data.pkl, not a PyTorch checkpoint");
            }
            String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            if (order != null) {
                String bo = new String(zip.getInputStream(order).readAllBytes()).trim();
                if (!bo.equals("little")) {
                    throw new CheckpointException(path + ": byte order '" + bo + "' is not supported");
                }
            }
            Object root;
            try (InputStream in = zip.getInputStream(zip.getEntry(pkl))) {
                Unpickler unpickler = new TorchUnpickler();
                root = unpickler.load(in);
            } catch (PickleException e) {
                throw new CheckpointException(path + ": cannot unpickle data.pkl (" + e.getMessage() + ")", e);
            }
            Map<String, TensorRef> tensors = new LinkedHashMap<>();
            collect("", root, tensors, 0);
            if (tensors.isEmpty()) {
                throw new CheckpointException(path + ": data.pkl holds no tensors");
            }
            return new TorchPickle(path, zip, prefix, Collections.unmodifiableMap(tensors));
        } catch (IOException e) {
            closeQuietly(zip);
            throw new CheckpointException(path + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /** Walks dicts and TorchScript module objects, naming every tensor by its dotted key path. */
    private static void collect(String name, Object node, Map<String, TensorRef> out, int depth) {
        if (depth > 64) {
            return;
        }
        if (node instanceof TensorRef t) {
            out.put(name, t);
        } else if (node instanceof Map<?, ?> map) {
            // ClassDict (TorchScript modules, unknown classes) is a Map too
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (e.getKey() instanceof String key && !(node instanceof ClassDict && key.equals("__class__"))) {
                    collect(name.isEmpty() ? key : name + "." + key, e.getValue(), out, depth + 1);
                }
            }
        }
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorRef t = ref(name);
        int size = Math.max(1, TensorInfo.bytesPerElement(t.storage().dtype()));
        return new TensorInfo(path, t.storage().dtype(), t.shape().clone(), t.offset() * size,
                (t.offset() + t.numel()) * size);
    }

    private TensorRef ref(String name) {
        TensorRef t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path + ": no tensor named " + name);
        }
        return t;
    }

    /** Loads a tensor as float32 (float types widened) or int64/int32/uint8/int8/bool as stored. */
    @Override
    public NDArray load(String name, NDManager manager) {
        TensorRef t = ref(name);
        String dtype = t.storage().dtype();
        int size = TensorInfo.bytesPerElement(dtype);
        ByteBuffer storage = storageBytes(name, t, size);
        int n = Math.toIntExact(t.numel());
        // contiguous tensors (nearly all) read in order from their offset; others through their strides
        int[] index = t.contiguous() ? null : elementIndices(t);
        int base = Math.toIntExact(t.offset());
        Shape shape = new Shape(t.shape());
        switch (dtype) {
            case "F32": {
                if (index == null) {
                    // one copy: the storage bytes go to the engine as they are
                    return manager.create(storage.position(base * 4).slice().order(ByteOrder.LITTLE_ENDIAN)
                            .limit(n * 4), shape, DataType.FLOAT32);
                }
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getFloat(at(index, base, i) * 4);
                }
                return manager.create(v, shape);
            }
            case "F16":
            case "BF16": {
                // DJL 0.36 has no bfloat16: half types are widened to float32, as in the safetensors reader
                boolean bf16 = dtype.equals("BF16");
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    int bits = Short.toUnsignedInt(storage.getShort(at(index, base, i) * 2));
                    v[i] = bf16 ? Float.intBitsToFloat(bits << 16) : HalfFloat.toFloat(bits);
                }
                return manager.create(v, shape);
            }
            case "F64": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) storage.getDouble(at(index, base, i) * 8);
                }
                return manager.create(v, shape);
            }
            case "I64": {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getLong(at(index, base, i) * 8);
                }
                return manager.create(v, shape);
            }
            case "I32": {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getInt(at(index, base, i) * 4);
                }
                return manager.create(v, shape);
            }
            case "I16": {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getShort(at(index, base, i) * 2);
                }
                return manager.create(v, shape);
            }
            case "U8":
            case "I8":
            case "BOOL": {
                byte[] v = new byte[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.get(at(index, base, i));
                }
                DataType type = dtype.equals("U8") ? DataType.UINT8 : dtype.equals("I8") ? DataType.INT8
                        : DataType.BOOLEAN;
                return manager.create(ByteBuffer.wrap(v), shape, type);
            }
            default:
                throw new CheckpointException(path + ": tensor " + name + " has unsupported dtype " + dtype);
        }
    }

    private static int at(int[] index, int base, int i) {
        return index == null ? base + i : index[i];
    }

    /** Storage element index of each element of a non-contiguous tensor, in row-major order. */
    private static int[] elementIndices(TensorRef t) {
        int n = Math.toIntExact(t.numel());
        int[] out = new int[n];
        long[] shape = t.shape();
        long[] idx = new long[shape.length];
        for (int i = 0; i < n; i++) {
            long pos = t.offset();
            for (int d = 0; d < shape.length; d++) {
                pos += idx[d] * t.stride()[d];
            }
            out[i] = Math.toIntExact(pos);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    private ByteBuffer storageBytes(String name, TensorRef t, int elementSize) {
        String entryName = prefix + "data/" + t.storage().key();
        ZipEntry entry = zip.getEntry(entryName);
        if (entry == null) {
            throw new CheckpointException(path + ": tensor " + name + " refers to missing storage " + entryName);
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(entry)) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read storage " + entryName + " (" + e.getMessage() + ")", e);
        }
        long needed = t.storage().numel() * elementSize;
        if (bytes.length < needed) {
            throw new CheckpointException(path + ": storage " + entryName + " has " + bytes.length
                    + " bytes, expected " + needed + " (truncated file?)");
        }
        long maxIndex = t.offset();
        for (int d = 0; d < t.shape().length; d++) {
            maxIndex += (t.shape()[d] - 1) * t.stride()[d];
        }
        if (t.numel() > 0 && (maxIndex + 1) * elementSize > bytes.length) {
            throw new CheckpointException(path + ": tensor " + name + " reaches past the end of storage " + entryName);
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // nothing was written; a failed close loses nothing
        }
    }
}
