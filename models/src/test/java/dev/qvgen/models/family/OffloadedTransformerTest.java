package dev.qvgen.models.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import dev.qvgen.layers.io.SafeTensorsFile;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.train.BlockResidency;
import dev.qvgen.layers.train.HostOffload;
import dev.qvgen.models.cogvideox.CogVideoXTransformer3DModel;
import dev.qvgen.models.wan.WanTransformer3DModel;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The block-by-block offloaded teacher on the tiny golden Wan2.1 (float32 and bfloat16): the same
 * output as the ordinary forward bit for bit; one unit on the "device" at each copy and at most
 * one unit's bytes alive; each unit copied once per forward (the entry/exit layers twice); the
 * parameters back on their host arrays after it; and the forward really computes on the copies
 * (altering any one unit's copy changes the output).
 */
class OffloadedTransformerTest {
    static final Path WAN = Path.of("../shared/fixtures/golden/wan2.1");

    @Test
    void wanOffloadedForwardIsBitIdenticalWithOneUnitResidentAtATime() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                SafeTensorsFile golden = SafeTensorsFile.open(WAN.resolve("golden.safetensors"))) {
            NDArray x = golden.load("tr.hidden_states", m);
            NDArray t = golden.load("tr.timestep", m);
            NDArray c = golden.load("tr.encoder_hidden_states", m);
            for (boolean bf16 : new boolean[] {false, true}) {
                WanTransformer3DModel model = WanTransformer3DModel.fromPretrained(WAN.resolve("pipeline/transformer"), m);
                if (bf16) {
                    Precision.cast(model, DataType.BFLOAT16, Device.cpu());
                }
                NDArray xi = bf16 ? Precision.to(x, DataType.BFLOAT16) : x;
                NDArray ci = bf16 ? Precision.to(c, DataType.BFLOAT16) : c;
                float[] plain = Precision.to(model.forward(xi, t, ci), DataType.FLOAT32).toFloatArray();

                Map<Parameter, NDArray> hostBefore = new IdentityHashMap<>();
                model.namedParameters().values().forEach(p -> hostBefore.put(p, p.getArray()));
                AtomicReference<HostOffload> seen = new AtomicReference<>();
                List<Integer> residentAtEachCopy = new ArrayList<>();
                HostOffload.Transfer counting = (host, device) -> {
                    residentAtEachCopy.add(seen.get().residentUnits());
                    return HostOffload.copy(host, device);
                };
                OffloadedTransformer off = OffloadedTransformer.of(model, Device.cpu(), counting);
                HostOffload h = off.offload();
                seen.set(h);
                assertEquals(model.blockCount() + 1, h.units().size(), "the blocks and the entry/exit layers");
                float[] offloaded = Precision.to(off.forward(xi, t, ci), DataType.FLOAT32).toFloatArray();
                assertArrayEquals(plain, offloaded, "bf16 " + bf16);

                // at every copy no other unit was on the device; at most one unit's bytes at once
                assertFalse(residentAtEachCopy.isEmpty());
                assertTrue(residentAtEachCopy.stream().allMatch(n -> n == 0), residentAtEachCopy.toString());
                assertEquals(1, h.peakResidentUnits());
                long largest = h.units().stream().mapToLong(h::unitBytes).max().orElseThrow();
                long all = h.units().stream().mapToLong(h::unitBytes).sum();
                assertEquals(largest, h.peakResidentBytes());
                assertTrue(largest < all, largest + " of " + all);
                long entryExit = h.unitBytes(BlockResidency.ENTRY_EXIT);
                assertEquals(all + entryExit, h.bytesMoved(), "each block once, the entry/exit layers twice");
                assertEquals(model.blockCount() + 2, h.materialisations());
                assertEquals(0, h.residentUnits());
                assertEquals(0, h.residentBytes());
                model.namedParameters().values().forEach(p -> assertSame(hostBefore.get(p), p.getArray(),
                        p.getName() + " is back on its host array"));
                if (bf16) {
                    // bf16 weights move as bf16: half the float32 bytes but for the float32-kept layers
                    assertTrue(all > 0 && h.unitBytes(0) < 4 * blockParameters(model, 0) * 3 / 4, "bf16 bytes");
                }
            }
        }
    }

    @Test
    void theForwardComputesOnTheDeviceCopiesOfEveryUnit() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                SafeTensorsFile golden = SafeTensorsFile.open(WAN.resolve("golden.safetensors"))) {
            NDArray x = golden.load("tr.hidden_states", m);
            NDArray t = golden.load("tr.timestep", m);
            NDArray c = golden.load("tr.encoder_hidden_states", m);
            WanTransformer3DModel model = WanTransformer3DModel.fromPretrained(WAN.resolve("pipeline/transformer"), m);
            float[] plain = model.forward(x, t, c).toFloatArray();
            List<Integer> units = new ArrayList<>(OffloadedTransformer.of(model, Device.cpu(), HostOffload::copy)
                    .offload().units());
            for (int unit : units) {
                AtomicReference<HostOffload> current = new AtomicReference<>();
                // doubles the copies of one unit only: if the forward read the host arrays, nothing would change
                HostOffload.Transfer altering = (host, device) -> {
                    NDArray copy = HostOffload.copy(host, device);
                    return current.get().residentUnits() == 0 && isUnit(model, host, unit) ? copy.mul(2) : copy;
                };
                OffloadedTransformer off = OffloadedTransformer.of(model, Device.cpu(), altering);
                current.set(off.offload());
                float[] altered = off.forward(x, t, c).toFloatArray();
                assertFalse(java.util.Arrays.equals(plain, altered), "unit " + unit + " is read from its copy");
                assertArrayEquals(plain, model.forward(x, t, c).toFloatArray(), "host weights untouched");
            }
        }
    }

    @Test
    void cogVideoXOffloadedForwardIsBitIdentical() {
        Path dir = Path.of("../shared/fixtures/golden/cogvideox-2b/pipeline/transformer");
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            CogVideoXTransformer3DModel model = CogVideoXTransformer3DModel.fromPretrained(dir, m);
            var cfg = model.config();
            NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 3, cfg.inChannels(), 4, 6));
            NDArray t = m.create(new float[] {500f});
            NDArray c = m.randomNormal(new ai.djl.ndarray.types.Shape(1, 16, cfg.textEmbedDim()));
            float[] plain = model.forward(x, t, c).toFloatArray();
            OffloadedTransformer off = OffloadedTransformer.of(model, Device.cpu(), HostOffload::copy);
            assertArrayEquals(plain, off.forward(x, t, c).toFloatArray());
            assertEquals(1, off.offload().peakResidentUnits());
        }
    }

    private static boolean isUnit(WanTransformer3DModel model, NDArray host, int unit) {
        for (var e : model.namedParameters().entrySet()) {
            if (e.getValue().getArray() == host) {
                return dev.qvgen.layers.train.BlockResidency.unitOf(e.getKey(), model.blockPrefixes()) == unit;
            }
        }
        return false;
    }

    private static long blockParameters(WanTransformer3DModel model, int block) {
        return model.namedParameters().entrySet().stream().filter(e -> e.getKey().startsWith("blocks." + block + "."))
                .mapToLong(e -> e.getValue().getArray().size()).sum();
    }
}
