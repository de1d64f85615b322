package dev.qvgen.layers.dist;

import java.util.Map;

/**
 * Where this process sits in a data-parallel job, from the variables torchrun sets (and that a
 * SLURM or Kubernetes launch sets the same way, see docs/SCALE-OUT.md): RANK, WORLD_SIZE,
 * LOCAL_RANK, MASTER_ADDR, MASTER_PORT. Without WORLD_SIZE (or with 1) the process is alone.
 */
public record DistEnv(int rank, int worldSize, int localRank, String masterAddr, int masterPort) {
    public static final DistEnv SINGLE = new DistEnv(0, 1, 0, "127.0.0.1", 29500);

    public DistEnv {
        if (worldSize < 1) {
            throw new DistException("WORLD_SIZE must be at least 1, got " + worldSize);
        }
        if (rank < 0 || rank >= worldSize) {
            throw new DistException("RANK must be in 0.." + (worldSize - 1) + " for WORLD_SIZE " + worldSize + ", got "
                    + rank);
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new DistException("MASTER_PORT must be a port number 1..65535, got " + masterPort);
        }
    }

    /** The job this process belongs to, from the process environment. */
    public static DistEnv fromEnvironment() {
        return from(System.getenv());
    }

    public static DistEnv from(Map<String, String> env) {
        int world = integer(env, "WORLD_SIZE", 1);
        if (world == 1) {
            return SINGLE;
        }
        String addr = env.get("MASTER_ADDR");
        if (addr == null || addr.isBlank()) {
            throw new DistException("WORLD_SIZE is " + world + " but MASTER_ADDR is not set (the address of rank 0)");
        }
        if (!env.containsKey("RANK")) {
            throw new DistException("WORLD_SIZE is " + world + " but RANK is not set");
        }
        if (!env.containsKey("MASTER_PORT")) {
            throw new DistException("WORLD_SIZE is " + world + " but MASTER_PORT is not set");
        }
        return new DistEnv(integer(env, "RANK", 0), world, integer(env, "LOCAL_RANK", 0), addr.trim(),
                integer(env, "MASTER_PORT", 0));
    }

    public boolean distributed() {
        return worldSize > 1;
    }

    /** The group of this process: {@link LocalGroup} when alone (no native library needed). */
    public ProcessGroup openGroup(java.time.Duration timeout) {
        return distributed() ? C10dGroup.open(this, timeout) : LocalGroup.INSTANCE;
    }

    private static int integer(Map<String, String> env, String name, int fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new DistException(name + " must be an integer, got '" + v + "'");
        }
    }
}
