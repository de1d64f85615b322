package dev.qvgen.models.text;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;

import dev.qvgen.layers.io.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of a SentencePiece {@code ModelProto} ({@code spiece.model}) that a Hugging Face fast tokenizer
 * is built from: the pieces with their scores and types, the trainer's model type, unk id and byte
 * fallback, and the normalizer spec.
 *
 * <p>Read field by field with protobuf's {@link CodedInputStream} against the published schema
 * (sentencepiece_model.proto, proto2), so no generated classes are needed; unknown fields are skipped as
 * protobuf does. Unset fields take the schema's defaults.
 */
public final class SentencePieceModel {

    /** SentencePiece.Type values. */
    public static final int NORMAL = 1;
    public static final int UNKNOWN = 2;
    public static final int CONTROL = 3;
    public static final int USER_DEFINED = 4;
    public static final int UNUSED = 5;
    public static final int BYTE = 6;

    /** TrainerSpec.ModelType values. */
    public static final int UNIGRAM = 1;
    public static final int BPE = 2;

    public record Piece(String piece, float score, int type) {
    }

    private final List<Piece> pieces;
    private final int modelType;
    private final int unkId;
    private final boolean byteFallback;
    private final String normalizerName;
    private final byte[] precompiledCharsmap;
    private final boolean addDummyPrefix;
    private final boolean removeExtraWhitespaces;
    private final boolean escapeWhitespaces;

    private SentencePieceModel(List<Piece> pieces, Trainer t, Normalizer n) {
        this.pieces = List.copyOf(pieces);
        this.modelType = t.modelType;
        this.unkId = t.unkId;
        this.byteFallback = t.byteFallback;
        this.normalizerName = n.name;
        this.precompiledCharsmap = n.charsmap;
        this.addDummyPrefix = n.addDummyPrefix;
        this.removeExtraWhitespaces = n.removeExtraWhitespaces;
        this.escapeWhitespaces = n.escapeWhitespaces;
    }

    /** Reads and checks an {@code spiece.model}; errors name the file. */
    public static SentencePieceModel read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        SentencePieceModel m;
        try {
            m = parse(bytes);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file + ": not a SentencePiece model (" + e.getMessage() + ")", e);
        }
        if (m.pieces.isEmpty()) {
            throw new CheckpointException(file + ": not a SentencePiece model (no pieces)");
        }
        if (m.unkId < 0 || m.unkId >= m.pieces.size() || m.pieces.get(m.unkId).type() != UNKNOWN) {
            throw new CheckpointException(file + ": unk_id " + m.unkId + " is not an UNKNOWN piece");
        }
        return m;
    }

    /** Parses ModelProto bytes: pieces = 1, trainer_spec = 2, normalizer_spec = 3. */
    static SentencePieceModel parse(byte[] bytes) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        List<Piece> pieces = new ArrayList<>();
        Trainer trainer = new Trainer();
        Normalizer normalizer = new Normalizer();
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> pieces.add(readPiece(in));
                case 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> readTrainer(in, trainer);
                case 3 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> readNormalizer(in, normalizer);
                default -> in.skipField(tag);
            }
        }
        return new SentencePieceModel(pieces, trainer, normalizer);
    }

    private static Piece readPiece(CodedInputStream in) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        String piece = null;
        float score = 0f;
        int type = NORMAL;
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> piece = in.readString();
                case 2 << 3 | WireFormat.WIRETYPE_FIXED32 -> score = in.readFloat();
                case 3 << 3 | WireFormat.WIRETYPE_VARINT -> type = in.readEnum();
                default -> in.skipField(tag);
            }
        }
        in.popLimit(limit);
        if (piece == null) {
            throw new IOException("a SentencePiece without its piece string");
        }
        if (type < NORMAL || type > BYTE) {
            throw new IOException("piece '" + piece + "' has unknown type " + type);
        }
        return new Piece(piece, score, type);
    }

    private static final class Trainer {
        int modelType = UNIGRAM;
        int unkId = 0;
        boolean byteFallback = false;
    }

    /** TrainerSpec: model_type = 3, byte_fallback = 35, unk_id = 40. */
    private static void readTrainer(CodedInputStream in, Trainer t) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 3 << 3 | WireFormat.WIRETYPE_VARINT -> t.modelType = in.readEnum();
                case 35 << 3 | WireFormat.WIRETYPE_VARINT -> t.byteFallback = in.readBool();
                case 40 << 3 | WireFormat.WIRETYPE_VARINT -> t.unkId = in.readInt32();
                default -> in.skipField(tag);
            }
        }
        in.popLimit(limit);
    }

    private static final class Normalizer {
        String name = "";
        byte[] charsmap = new byte[0];
        boolean addDummyPrefix = true;
        boolean removeExtraWhitespaces = true;
        boolean escapeWhitespaces = true;
    }

    /**
     * NormalizerSpec: name = 1, precompiled_charsmap = 2, add_dummy_prefix = 3, remove_extra_whitespaces
     * = 4, escape_whitespaces = 5.
     */
    private static void readNormalizer(CodedInputStream in, Normalizer n) throws IOException {
        int limit = in.pushLimit(in.readRawVarint32());
        int tag;
        while ((tag = in.readTag()) != 0) {
            switch (tag) {
                case 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> n.name = in.readString();
                case 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED -> n.charsmap = in.readByteArray();
                case 3 << 3 | WireFormat.WIRETYPE_VARINT -> n.addDummyPrefix = in.readBool();
                case 4 << 3 | WireFormat.WIRETYPE_VARINT -> n.removeExtraWhitespaces = in.readBool();
                case 5 << 3 | WireFormat.WIRETYPE_VARINT -> n.escapeWhitespaces = in.readBool();
                default -> in.skipField(tag);
            }
        }
        in.popLimit(limit);
    }

    public List<Piece> pieces() {
        return pieces;
    }

    public int modelType() {
        return modelType;
    }

    public int unkId() {
        return unkId;
    }

    public boolean byteFallback() {
        return byteFallback;
    }

    public String normalizerName() {
        return normalizerName;
    }

    /** The normalizer's compiled character map (empty for the identity normalizer). */
    public byte[] precompiledCharsmap() {
        return precompiledCharsmap.clone();
    }

    public boolean addDummyPrefix() {
        return addDummyPrefix;
    }

    public boolean removeExtraWhitespaces() {
        return removeExtraWhitespaces;
    }

    public boolean escapeWhitespaces() {
        return escapeWhitespaces;
    }

    /** Id of a piece, or -1. */
    public int idOf(String piece) {
        for (int i = 0; i < pieces.size(); i++) {
            if (pieces.get(i).piece().equals(piece)) {
                return i;
            }
        }
        return -1;
    }
}
