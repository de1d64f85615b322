package dev.qvgen.models.vae;

import ai.djl.ndarray.NDManager;

import com.google.gson.JsonParser;

import dev.qvgen.layers.io.CheckpointException;
import dev.qvgen.models.vae.cogvideox.AutoencoderKLCogVideoX;
import dev.qvgen.models.vae.wan.AutoencoderKLWan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BiFunction;

/** The video VAEs by their diffusers class name ({@code _class_name} in {@code vae/config.json}). */
public final class VideoVaes {
    private static final Map<String, BiFunction<Path, NDManager, VideoVae>> BY_CLASS = Map.of(
            "AutoencoderKLWan", AutoencoderKLWan::fromPretrained,
            "AutoencoderKLCogVideoX", AutoencoderKLCogVideoX::fromPretrained);

    private VideoVaes() {}

    public static boolean supports(String className) {
        return BY_CLASS.containsKey(className);
    }

    /** The {@code _class_name} of a diffusers component directory. */
    public static String className(Path dir) {
        Path file = dir.resolve("config.json");
        try {
            return JsonParser.parseString(Files.readString(file)).getAsJsonObject().get("_class_name").getAsString();
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": file not found");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": not a diffusers config (no _class_name)");
        }
    }

    /** Loads the VAE in a diffusers {@code vae/} directory, whichever family it is. */
    public static VideoVae fromPretrained(Path dir, NDManager manager) {
        String cls = className(dir);
        var factory = BY_CLASS.get(cls);
        if (factory == null) {
            throw new CheckpointException(dir.resolve("config.json") + ": VAE class " + cls
                    + " is not supported (known: " + String.join(", ", new java.util.TreeSet<>(BY_CLASS.keySet())) + ")");
        }
        return factory.apply(dir, manager);
    }
}
