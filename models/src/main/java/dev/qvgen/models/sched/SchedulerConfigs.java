package dev.qvgen.models.sched;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;

import java.util.Arrays;

/**
 * Reading helpers for {@code scheduler_config.json}. Unlike model configs, a key missing from a
 * scheduler config takes the diffusers default (configs written by older diffusers versions lack
 * keys added since, and diffusers fills them the same way); a key this port does not know is
 * still an error, and a feature it does not implement is accepted only at its inert value.
 */
final class SchedulerConfigs {
    private SchedulerConfigs() {}

    static int intOr(ConfigReader r, String key, int def) {
        return r.has(key) ? r.getInt(key) : mark(r, key, def);
    }

    static double doubleOr(ConfigReader r, String key, double def) {
        return r.has(key) ? r.getDouble(key) : mark(r, key, def);
    }

    static boolean boolOr(ConfigReader r, String key, boolean def) {
        return r.has(key) ? r.getBoolean(key) : mark(r, key, def);
    }

    /** A string key restricted to {@code allowed} values. */
    static String oneOf(ConfigReader r, String key, String def, String... allowed) {
        String v = r.has(key) ? r.getString(key) : mark(r, key, def);
        if (!Arrays.asList(allowed).contains(v)) {
            throw new CheckpointException(r.source() + ": config key '" + key + "' = " + v
                    + " is not supported (one of " + String.join(", ", allowed) + ")");
        }
        return v;
    }

    /** A feature flag this port does not implement: absent or false. */
    static void requireFalse(ConfigReader r, String key) {
        if (r.has(key) && r.getBoolean(key)) {
            throw new CheckpointException(r.source() + ": config key '" + key + "' = true is not supported");
        }
        r.optional(key);
    }

    /** A feature this port does not implement: absent or null. */
    static void requireNullIfPresent(ConfigReader r, String key) {
        if (r.has(key)) {
            r.requireNull(key);
        }
        r.optional(key);
    }

    /** A key the reference reads but that has no effect on what this port computes. */
    static void tolerate(ConfigReader r, String... keys) {
        for (String k : keys) {
            r.optional(k);
        }
    }

    private static <T> T mark(ConfigReader r, String key, T def) {
        r.optional(key);
        return def;
    }
}
