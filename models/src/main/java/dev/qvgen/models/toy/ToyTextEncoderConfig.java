package dev.qvgen.models.toy;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import dev.qvgen.layers.io.ConfigReader;

import java.nio.file.Path;

/** Config of the toy world's text encoder: a vocabulary, a fixed length and a width. */
public record ToyTextEncoderConfig(int vocabSize, int maxLength, int dim) {
    public static ToyTextEncoderConfig read(Path file) {
        ConfigReader r = ConfigReader.open(file);
        ToyTextEncoderConfig c = new ToyTextEncoderConfig(r.getInt("vocab_size"), r.getInt("max_length"), r.getInt("dim"));
        r.rejectUnknownKeys();
        return c;
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "ToyTextEncoder");
        o.addProperty("vocab_size", vocabSize);
        o.addProperty("max_length", maxLength);
        o.addProperty("dim", dim);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
