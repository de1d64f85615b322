package dev.qvgen.metrics.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.qvgen.models.io.CheckpointException;
import dev.qvgen.models.io.HalfFloat;
import dev.qvgen.models.io.TensorInfo;
import dev.qvgen.models.io.WeightSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * A state dict saved by {@code torch.save} in the zip format (PyTorch 1.6+): {@code <archive>/data.pkl}
 * pickles an OrderedDict of tensors whose storages are the entries {@code <archive>/data/<key>}.
 *
 * <p>The pickle is read with razorvine's unpickler, but only the few globals a state dict uses are
 * resolved ({@code collections.OrderedDict}, {@code torch._utils._rebuild_tensor_v2}, {@code
 * _rebuild_parameter} and the typed storage classes); any other global is refused, so a checkpoint
 * that pickles arbitrary objects fails with its name instead of running code or being half-read.
 * Storage bytes are read lazily, per tensor, honouring the saved offset and strides.
 */
public final class TorchCheckpoint implements WeightSource {
    private final Path path;
    private final ZipFile zip;
    private final String archive;
    private final Map<String, StoredTensor> tensors;

    private TorchCheckpoint(Path path, ZipFile zip, String archive, Map<String, StoredTensor> tensors) {
        this.path = path;
        this.zip = zip;
        this.archive = archive;
        this.tensors = tensors;
    }

    /** @throws CheckpointException naming the file when it is not a readable torch zip state dict */
    public static TorchCheckpoint open(Path path) {
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (IOException e) {
            throw new CheckpointException(path + ": not a torch.save zip archive (" + e.getMessage() + ")", e);
        }
        try {
            String archive = archiveName(path, zip);
            checkByteOrder(path, zip, archive);
            Object root;
            try (InputStream in = zip.getInputStream(zip.getEntry(archive + "data.pkl"))) {
                root = new StateDictUnpickler(path).load(in);
            }
            if (!(root instanceof Map<?, ?> map)) {
                throw new CheckpointException(path + ": data.pkl holds a " + typeName(root) + ", not a state dict");
            }
            Map<String, StoredTensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    throw new CheckpointException(path + ": state dict key " + e.getKey() + " is not a string");
                }
                if (!(e.getValue() instanceof StoredTensor t)) {
                    throw new CheckpointException(path + ": entry " + name + " is a " + typeName(e.getValue())
                            + ", not a tensor");
                }
                tensors.put(name, t);
            }
            return new TorchCheckpoint(path, zip, archive, Collections.unmodifiableMap(tensors));
        } catch (IOException | PickleException e) {
            closeQuietly(zip);
            throw new CheckpointException(path + ": cannot read data.pkl (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(zip);
            throw e;
        }
    }

    /**
     * A view with every name rewritten (e.g. dropping DataParallel's {@code module.} prefix); it
     * shares this file, so close only one of the two.
     *
     * @throws CheckpointException when two names map to the same new name
     */
    public TorchCheckpoint renamed(Function<String, String> rename) {
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            String to = rename.apply(name);
            if (out.putIfAbsent(to, t) != null) {
                throw new CheckpointException(path + ": two tensors are both named " + to + " after renaming");
            }
        });
        return new TorchCheckpoint(path, zip, archive, Collections.unmodifiableMap(out));
    }

    /** {@link #renamed} that removes {@code prefix} where a name starts with it. */
    public TorchCheckpoint withoutPrefix(String prefix) {
        return renamed(n -> n.startsWith(prefix) ? n.substring(prefix.length()) : n);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Dtype in safetensors spelling; begin/end are the byte span inside the tensor's storage entry. */
    @Override
    public TensorInfo info(String name) {
        StoredTensor t = tensor(name);
        int size = TensorInfo.bytesPerElement(t.dtype());
        long span = 1;
        for (int d = 0; d < t.shape().length; d++) {
            span += (t.shape()[d] - 1) * t.stride()[d];
        }
        if (t.numel() == 0) {
            span = 0;
        }
        return new TensorInfo(path, t.dtype(), t.shape(), t.offset() * size, (t.offset() + span) * size);
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        StoredTensor t = tensor(name);
        ByteBuffer bytes = storageBytes(name, t);
        Shape shape = new Shape(t.shape());
        int n = Math.toIntExact(t.numel());
        int[] at = elementIndices(t);
        switch (t.dtype()) {
            case "F32", "F64", "F16", "BF16": {
                float[] out = new float[n];
                for (int i = 0; i < n; i++) {
                    int j = at[i];
                    out[i] = switch (t.dtype()) {
                        case "F32" -> bytes.getFloat(j * 4);
                        case "F64" -> (float) bytes.getDouble(j * 8);
                        case "F16" -> HalfFloat.toFloat(Short.toUnsignedInt(bytes.getShort(j * 2)));
                        default -> Float.intBitsToFloat(Short.toUnsignedInt(bytes.getShort(j * 2)) << 16);
                    };
                }
                return manager.create(out, shape);
            }
            case "I64", "I32", "I16", "I8", "U8", "BOOL": {
                long[] out = new long[n];
                for (int i = 0; i < n; i++) {
                    int j = at[i];
                    out[i] = switch (t.dtype()) {
                        case "I64" -> bytes.getLong(j * 8);
                        case "I32" -> bytes.getInt(j * 4);
                        case "I16" -> bytes.getShort(j * 2);
                        case "I8" -> bytes.get(j);
                        default -> Byte.toUnsignedInt(bytes.get(j));
                    };
                }
                return manager.create(out, shape);
            }
            default:
                throw new CheckpointException(path + ": tensor " + name + " has unsupported dtype " + t.dtype());
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        closeQuietly(zip);
    }

    private StoredTensor tensor(String name) {
        StoredTensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path + ": no tensor named " + name);
        }
        return t;
    }

    private ByteBuffer storageBytes(String name, StoredTensor t) {
        ZipEntry entry = zip.getEntry(archive + "data/" + t.storage().key());
        if (entry == null) {
            throw new CheckpointException(path + ": tensor " + name + " needs storage data/" + t.storage().key()
                    + ", which the archive lacks");
        }
        byte[] data;
        try (InputStream in = zip.getInputStream(entry)) {
            data = in.readAllBytes();
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read storage data/" + t.storage().key() + " ("
                    + e.getMessage() + ")", e);
        }
        long need = t.storage().numel() * (long) TensorInfo.bytesPerElement(t.dtype());
        if (data.length < need) {
            throw new CheckpointException(path + ": storage data/" + t.storage().key() + " has " + data.length
                    + " bytes, expected " + need + " (truncated file?)");
        }
        long end = info(name).end();
        if (t.numel() > 0 && (t.offset() < 0 || end > need)) {
            throw new CheckpointException(path + ": tensor " + name + " reaches past its storage");
        }
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Storage element index of each tensor element in row-major order. */
    private static int[] elementIndices(StoredTensor t) {
        int n = Math.toIntExact(t.numel());
        int[] at = new int[n];
        long[] shape = t.shape();
        long[] stride = t.stride();
        long[] counter = new long[shape.length];
        long index = t.offset();
        for (int i = 0; i < n; i++) {
            at[i] = Math.toIntExact(index);
            for (int d = shape.length - 1; d >= 0; d--) {
                counter[d]++;
                index += stride[d];
                if (counter[d] < shape[d]) {
                    break;
                }
                index -= stride[d] * shape[d];
                counter[d] = 0;
            }
        }
        return at;
    }

    private static String archiveName(Path path, ZipFile zip) {
        return zip.stream()
                .map(ZipEntry::getName)
                .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                .map(n -> n.substring(0, n.length() - "data.pkl".length()))
                .findFirst()
                .orElseThrow(() -> new CheckpointException(path + ": no <archive>/data.pkl entry; "
                        + "not a torch.save zip checkpoint (legacy pickled .pth files are not supported)"));
    }

    private static void checkByteOrder(Path path, ZipFile zip, String archive) throws IOException {
        ZipEntry entry = zip.getEntry(archive + "byteorder");
        if (entry == null) {
            return; // files written before PyTorch 2.1 have no entry and are little-endian
        }
        try (InputStream in = zip.getInputStream(entry)) {
            String order = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new CheckpointException(path + ": byte order '" + order + "' is not supported");
            }
        }
    }

    private static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private static void closeQuietly(ZipFile zip) {
        try {
            zip.close();
        } catch (IOException ignored) {
            // nothing useful to do: the file was only read
        }
    }

    /** A storage as the persistent id names it: its entry key, element type and length. */
    record Storage(String key, String dtype, long numel) {}

    /** A tensor view of a storage, as {@code _rebuild_tensor_v2} receives it. */
    record StoredTensor(Storage storage, long offset, long[] shape, long[] stride) {
        String dtype() {
            return storage.dtype();
        }

        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** {@code collections.OrderedDict}; BUILD gives it the {@code _metadata} attribute, which is not needed. */
    public static final class StateDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;

        public void __setstate__(HashMap<?, ?> state) {
            // torch stores per-module versions here; the tensors alone define a state dict
        }
    }

    /** A typed storage class such as {@code torch.FloatStorage}, as pushed by GLOBAL. */
    private record StorageType(String dtype) {}

    private static final class StateDictUnpickler extends Unpickler {
        private static final Map<String, String> STORAGE_DTYPES = Map.ofEntries(
                Map.entry("FloatStorage", "F32"), Map.entry("DoubleStorage", "F64"),
                Map.entry("HalfStorage", "F16"), Map.entry("BFloat16Storage", "BF16"),
                Map.entry("LongStorage", "I64"), Map.entry("IntStorage", "I32"),
                Map.entry("ShortStorage", "I16"), Map.entry("CharStorage", "I8"),
                Map.entry("ByteStorage", "U8"), Map.entry("BoolStorage", "BOOL"));

        private final Path path;

        StateDictUnpickler(Path path) {
            this.path = path;
        }

        @Override
        protected Object dispatch(short key) throws PickleException, IOException {
            if (key == Opcodes.GLOBAL) {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            if (key == Opcodes.STACK_GLOBAL) {
                String name = (String) stack.pop();
                String module = (String) stack.pop();
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            return super.dispatch(key);
        }

        private Object resolve(String module, String name) {
            String qualified = module + "." + name;
            switch (qualified) {
                case "collections.OrderedDict":
                    return (IObjectConstructor) args -> new StateDict();
                case "torch._utils._rebuild_tensor_v2":
                case "torch._utils._rebuild_tensor":
                    return (IObjectConstructor) this::rebuildTensor;
                case "torch._utils._rebuild_parameter":
                    return (IObjectConstructor) args -> args[0];
                default:
                    if (module.equals("torch") && STORAGE_DTYPES.containsKey(name)) {
                        return new StorageType(STORAGE_DTYPES.get(name));
                    }
                    throw new CheckpointException(path + ": data.pkl uses " + qualified
                            + ", which a plain state dict never needs");
            }
        }

        /** ('storage', storage_type, key, location, numel) from torch's persistent_id. */
        @Override
        protected Object persistentLoad(Object pid) {
            if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])
                    || !(t[1] instanceof StorageType type)) {
                throw new CheckpointException(path + ": unsupported persistent id " + describePid(pid));
            }
            return new Storage(String.valueOf(t[2]), type.dtype(), ((Number) t[4]).longValue());
        }

        private Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof Storage storage)) {
                throw new CheckpointException(path + ": malformed _rebuild_tensor arguments");
            }
            return new StoredTensor(storage, ((Number) args[1]).longValue(), longs(args[2]), longs(args[3]));
        }

        private long[] longs(Object tuple) {
            if (!(tuple instanceof Object[] items)) {
                throw new CheckpointException(path + ": tensor size/stride is a " + typeName(tuple) + ", not a tuple");
            }
            long[] out = new long[items.length];
            for (int i = 0; i < items.length; i++) {
                out[i] = ((Number) items[i]).longValue();
            }
            return out;
        }

        private static String describePid(Object pid) {
            return pid instanceof Object[] t ? List.of(t).toString() : String.valueOf(pid);
        }
    }
}
