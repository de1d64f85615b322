package dev.qvgen.models.sched;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.layers.io.ConfigReader;


import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The schedulers this port implements, by the {@code _class_name} diffusers writes in {@code scheduler_config.json}. */
public final class Schedulers {
    private static final Map<String, Function<Path, Scheduler>> BY_CLASS = new LinkedHashMap<>();

    static {
        BY_CLASS.put("UniPCMultistepScheduler", UniPCMultistepScheduler::fromConfig);
        BY_CLASS.put("FlowMatchEulerDiscreteScheduler", FlowMatchEulerScheduler::fromConfig);
        BY_CLASS.put("CogVideoXDDIMScheduler", CogVideoXDDIMScheduler::fromConfig);
        BY_CLASS.put("CogVideoXDPMScheduler", CogVideoXDPMScheduler::fromConfig);
    }

    private Schedulers() {}

    public static List<String> names() {
        return List.copyOf(BY_CLASS.keySet());
    }

    /**
     * The scheduler of a {@code scheduler_config.json}, if its class is one of {@code accepted}
     * (the ones the calling pipeline supports).
     *
     * @throws CheckpointException naming the file and the class when it is missing or not accepted
     */
    public static Scheduler fromConfig(Path config, List<String> accepted) {
        String cls = ConfigReader.className(config);
        if (!accepted.contains(cls) || !BY_CLASS.containsKey(cls)) {
            throw new CheckpointException(config + ": scheduler " + cls + " is not supported here (known: "
                    + String.join(", ", accepted) + ")");
        }
        return BY_CLASS.get(cls).apply(config);
    }

    /** {@link #fromConfig} with its timesteps set for {@code steps}: ready for a generation's loop. */
    public static Scheduler forGeneration(Path config, List<String> accepted, int steps) {
        Scheduler s = fromConfig(config, accepted);
        s.setTimesteps(steps);
        return s;
    }
}
