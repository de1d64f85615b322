package dev.qvgen.metrics.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.qvgen.models.io.CheckpointException;
import dev.qvgen.models.io.HalfFloat;
import dev.qvgen.models.io.TensorInfo;
import dev.qvgen.models.io.WeightSource;

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
import net.razorvine.pickle.PickleException;
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

    private static final class TorchUnpickler extends Unpickler {
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

    private TorchPickle(Path path, ZipFile zip, String prefix, Map<String, TensorRef> tensors) {
        this.path = path;
        this.zip = zip;
        this.prefix = prefix;
        this.tensors = tensors;
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
        int[] index = elementIndices(t);
        Shape shape = new Shape(t.shape());
        switch (dtype) {
            case "F32": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getFloat(index[i] * 4);
                }
                return manager.create(v, shape);
            }
            case "F16":
            case "BF16": {
                // DJL 0.36 has no bfloat16: half types are widened to float32, as in the safetensors reader
                boolean bf16 = dtype.equals("BF16");
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    int bits = Short.toUnsignedInt(storage.getShort(index[i] * 2));
                    v[i] = bf16 ? Float.intBitsToFloat(bits << 16) : HalfFloat.toFloat(bits);
                }
                return manager.create(v, shape);
            }
            case "F64": {
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) storage.getDouble(index[i] * 8);
                }
                return manager.create(v, shape);
            }
            case "I64": {
                long[] v = new long[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getLong(index[i] * 8);
                }
                return manager.create(v, shape);
            }
            case "I32": {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getInt(index[i] * 4);
                }
                return manager.create(v, shape);
            }
            case "I16": {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.getShort(index[i] * 2);
                }
                return manager.create(v, shape);
            }
            case "U8":
            case "I8":
            case "BOOL": {
                byte[] v = new byte[n];
                for (int i = 0; i < n; i++) {
                    v[i] = storage.get(index[i]);
                }
                DataType type = dtype.equals("U8") ? DataType.UINT8 : dtype.equals("I8") ? DataType.INT8
                        : DataType.BOOLEAN;
                return manager.create(ByteBuffer.wrap(v), shape, type);
            }
            default:
                throw new CheckpointException(path + ": tensor " + name + " has unsupported dtype " + dtype);
        }
    }

    /** Storage element index of each tensor element in row-major order (honours any strides). */
    private static int[] elementIndices(TensorRef t) {
        int n = Math.toIntExact(t.numel());
        int[] out = new int[n];
        if (t.contiguous()) {
            for (int i = 0; i < n; i++) {
                out[i] = Math.toIntExact(t.offset() + i);
            }
            return out;
        }
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
