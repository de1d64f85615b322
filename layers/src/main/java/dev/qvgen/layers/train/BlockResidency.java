package dev.qvgen.layers.train;

/**
 * Where {@link ActivationCheckpointing} tells a weight-sharding scheme ({@link WeightShards}) when
 * each unit's parameters are needed: a unit is one block (its index) or {@link #ENTRY_EXIT}, the
 * layers before and after the blocks. Within one micro-batch the calls come in this order: entry
 * and exit materialised; each block materialised, run forward, {@link #afterForward}; the exit's
 * backward; from the last block to the first, materialised again, recomputed and back-propagated,
 * {@link #afterBackward}; the entry's backward, {@code afterBackward(ENTRY_EXIT)}. So at most the
 * entry/exit layers and one block are materialised at a time.
 */
public interface BlockResidency {
    /** The unit of the layers before and after the blocks (embeddings, output norm and projection). */
    int ENTRY_EXIT = -1;

    /** The unit of a tensor named {@code <prefix><index>.…} for one of {@code prefixes}: that block index, else ENTRY_EXIT. */
    static int unitOf(String name, java.util.List<String> prefixes) {
        for (String prefix : prefixes) {
            if (name.startsWith(prefix)) {
                String rest = name.substring(prefix.length());
                int dot = rest.indexOf('.');
                if (dot > 0 && rest.substring(0, dot).matches("\\d+")) {
                    return Integer.parseInt(rest.substring(0, dot));
                }
            }
        }
        return ENTRY_EXIT;
    }

    /** Every parameter always resident: what training without weight sharding is. */
    BlockResidency RESIDENT = new BlockResidency() {
        @Override
        public void materialise(int unit) {
        }

        @Override
        public void afterForward(int unit) {
        }

        @Override
        public void afterBackward(int unit) {
        }
    };

    /** Before {@code unit}'s forward or recomputation: its full parameters must be there. */
    void materialise(int unit);

    /** After a forward whose graph is dropped (no backward follows from it). */
    void afterForward(int unit);

    /** After {@code unit}'s backward of this micro-batch: its gradients are complete. */
    void afterBackward(int unit);
}
