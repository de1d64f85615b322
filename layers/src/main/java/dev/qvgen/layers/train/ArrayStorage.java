package dev.qvgen.layers.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Frees and refills the memory behind a DJL array while the array object stays the same, what
 * FSDP does to a parameter with {@code storage.resize_(0)} between uses. Weight sharding needs it:
 * a trained array is referenced by its module, its quantizer or Φ, the optimizer's groups and
 * autograd alike, so a rank that does not own it must drop its values without any of those
 * references changing.
 *
 * <p>DJL 0.36 has no in-place resize or {@code set_(Tensor)} (its {@code set(Buffer)} keeps the
 * tensor's sizes), so this swaps the native tensor behind the array: a released array holds an
 * empty tensor of shape (0) (its shape says so, which is how the held bytes are measured), and a
 * refilled one takes over the tensor of a freshly filled array. That needs the PyTorch engine's
 * private fields: the handle, and the shape and requires-grad flag it caches from the tensor.
 * They are looked up once; on another engine or DJL version the first use fails with one line
 * naming what is missing.
 */
public final class ArrayStorage {
    private ArrayStorage() {}

    private static final class Fields {
        static final Field HANDLE;
        static final Field SHAPE;
        static final Field HAS_GRADIENT;
        static final Field DATA_REF;
        static final Class<?> TYPE;
        static final String ERROR;

        static {
            Field h = null;
            Field s = null;
            Field g = null;
            Field d = null;
            Class<?> t = null;
            String error = null;
            try {
                t = Class.forName("ai.djl.pytorch.engine.PtNDArray");
                h = ai.djl.util.NativeResource.class.getDeclaredField("handle");
                s = t.getDeclaredField("shape");
                g = t.getDeclaredField("hasGradient");
                d = t.getDeclaredField("dataRef");
                for (Field f : new Field[] {h, s, g, d}) {
                    f.setAccessible(true);
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                error = "weight sharding swaps the native tensor of DJL 0.36's PyTorch arrays, but this DJL has no "
                        + e.getMessage();
            }
            HANDLE = h;
            SHAPE = s;
            HAS_GRADIENT = g;
            DATA_REF = d;
            TYPE = t;
            ERROR = error;
        }
    }

    /** The bytes of the tensor {@code a} holds now. */
    public static long bytes(NDArray a) {
        return a.getShape().size() * a.getDataType().getNumOfBytes();
    }

    /**
     * Frees {@code a}'s values: it holds an empty tensor of its type and device from now on. What
     * autograd saved of the old tensor lives on until autograd lets go of it, as in PyTorch.
     */
    public static void release(NDArray a) {
        NDArray empty = a.getManager().zeros(new Shape(0), a.getDataType(), a.getDevice());
        boolean requiresGrad = requiresGradient(a);
        swap(a, empty);
        empty.close(); // the old tensor: its storage goes unless something else holds it
        if (requiresGrad) {
            a.setRequiresGradient(true);
        }
    }

    /**
     * Makes {@code target} hold {@code source}'s tensor (its values, shape and storage) and closes
     * {@code source}; {@code target} keeps whether it asks for a gradient, with a fresh (absent)
     * gradient.
     */
    public static void adopt(NDArray target, NDArray source) {
        boolean requiresGrad = requiresGradient(target);
        swap(target, source);
        source.close();
        if (requiresGrad) {
            target.setRequiresGradient(true);
        }
    }

    private static boolean requiresGradient(NDArray a) {
        check(a);
        try {
            Fields.HAS_GRADIENT.set(a, null); // re-read from the tensor, not the cache
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        return a.hasGradient();
    }

    @SuppressWarnings("unchecked")
    private static void swap(NDArray a, NDArray b) {
        check(a);
        check(b);
        try {
            AtomicReference<Object> ha = (AtomicReference<Object>) Fields.HANDLE.get(a);
            AtomicReference<Object> hb = (AtomicReference<Object>) Fields.HANDLE.get(b);
            Object t = ha.get();
            ha.set(hb.get());
            hb.set(t);
            Object ra = Fields.DATA_REF.get(a);
            Fields.DATA_REF.set(a, Fields.DATA_REF.get(b));
            Fields.DATA_REF.set(b, ra);
            for (NDArray x : new NDArray[] {a, b}) {
                Fields.SHAPE.set(x, null);
                Fields.HAS_GRADIENT.set(x, null);
            }
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(NDArray a) {
        if (Fields.ERROR != null) {
            throw new IllegalStateException(Fields.ERROR);
        }
        if (!Fields.TYPE.isInstance(a)) {
            throw new IllegalStateException("weight sharding needs DJL's PyTorch engine, got a "
                    + a.getClass().getName());
        }
        if (a.isReleased()) {
            throw new IllegalStateException("array is closed");
        }
    }
}
