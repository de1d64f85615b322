package dev.qvgen.layers.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A checkpoint split over shards by a {@code *.safetensors.index.json} weight map. */
public final class ShardedSafeTensors implements WeightSource {
    private final Path index;
    private final Map<String, SafeTensorsFile> byTensor;
    private final Map<String, SafeTensorsFile> shards;

    private ShardedSafeTensors(Path index, Map<String, SafeTensorsFile> byTensor, Map<String, SafeTensorsFile> shards) {
        this.index = index;
        this.byTensor = byTensor;
        this.shards = shards;
    }

    public static ShardedSafeTensors open(Path index) {
        JsonObject weightMap;
        try {
            weightMap = JsonParser.parseString(Files.readString(index)).getAsJsonObject().getAsJsonObject("weight_map");
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read (" + e.getMessage() + ")", e);
        } catch (JsonParseException | IllegalStateException | ClassCastException e) {
            throw new CheckpointException(index + ": corrupt index (not JSON with a weight_map object)");
        }
        if (weightMap == null) {
            throw new CheckpointException(index + ": index has no weight_map");
        }
        Map<String, SafeTensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafeTensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (var e : weightMap.entrySet()) {
                String shardName = e.getValue().getAsString();
                SafeTensorsFile shard = shards.computeIfAbsent(shardName,
                        n -> SafeTensorsFile.open(index.resolveSibling(n)));
                if (!shard.names().contains(e.getKey())) {
                    throw new CheckpointException(index + ": tensor " + e.getKey() + " is mapped to "
                            + shardName + " but that shard does not contain it");
                }
                byTensor.put(e.getKey(), shard);
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafeTensorsFile::close);
            throw e;
        }
        return new ShardedSafeTensors(index, byTensor, shards);
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(byTensor.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        return shard(name).info(name);
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        return shard(name).load(name, manager);
    }

    @Override
    public NDArray load(String name, NDManager manager, ai.djl.ndarray.types.DataType floatType) {
        return shard(name).load(name, manager, floatType);
    }

    @Override
    public NDArray loadBf16Bytes(String name, NDManager manager) {
        return shard(name).loadBf16Bytes(name, manager);
    }

    private SafeTensorsFile shard(String name) {
        SafeTensorsFile s = byTensor.get(name);
        if (s == null) {
            throw new CheckpointException(index + ": no tensor named " + name);
        }
        return s;
    }

    @Override
    public String describe() {
        return index.toString();
    }

    @Override
    public void close() {
        shards.values().forEach(SafeTensorsFile::close);
    }
}
