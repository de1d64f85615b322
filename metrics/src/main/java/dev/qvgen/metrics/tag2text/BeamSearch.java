package dev.qvgen.metrics.tag2text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Hugging Face's beam search as transformers 4.33.2 (VBench's pinned version) runs it for
 * Tag2Text's captions: {@code generate(num_beams, max_length, min_length, eos=[SEP], pad=[PAD],
 * repetition_penalty=1)} with length_penalty 1 and early_stopping False. Per step: log-softmax of
 * the last position's logits, the end token masked to -inf while the sequence is shorter than
 * min_length, plus the beam's running score; the best 2 x beams candidates over all beams of an
 * input; an end token among the first {@code beams} candidates closes a hypothesis scored by its
 * sum over the whole sequence length (prompt included); the others extend the beams. An input is
 * done when it has {@code beams} hypotheses and the best candidate score divided by the current
 * length cannot beat the worst of them; the search stops when all are done or at max_length, and
 * open beams then join the hypotheses. Later transformers versions normalise by the generated
 * length only, so they can choose other captions.
 */
public final class BeamSearch {
    /**
     * The log-softmax of the last position's logits for each row of {@code ids} (rows = inputs x
     * beams, an input's beams adjacent), computed by the caller's engine as the reference does.
     * {@code parentRows[r]} is the row of the previous step's ids that row r extends by its last
     * token (null on the first step, when the rows are the prompts), so a decoder that caches
     * per-row state can reorder it to follow the beams.
     */
    @FunctionalInterface
    public interface Step {
        float[][] lastLogProbs(long[][] ids, int[] parentRows);
    }

    private final int beams;
    private final int maxLength;
    private final int minLength;
    private final long eos;
    private final long pad;

    public BeamSearch(int beams, int maxLength, int minLength, long eos, long pad) {
        if (beams < 2) {
            throw new IllegalArgumentException("beam search needs at least 2 beams, got " + beams);
        }
        this.beams = beams;
        this.maxLength = maxLength;
        this.minLength = minLength;
        this.eos = eos;
        this.pad = pad;
    }

    /** One input's finished hypotheses, the best {@code beams} kept. */
    private final class Hypotheses {
        final List<double[]> scores = new ArrayList<>(); // {score, index into seqs}
        final List<long[]> seqs = new ArrayList<>();
        double worst = 1e9;

        void add(long[] seq, double sumLogprobs) {
            double score = sumLogprobs / seq.length;
            if (scores.size() < beams || score > worst) {
                scores.add(new double[] {score, seqs.size()});
                seqs.add(seq);
                if (scores.size() > beams) {
                    List<double[]> sorted = new ArrayList<>(scores);
                    sorted.sort(Comparator.comparingDouble(s -> s[0]));
                    scores.remove(sorted.get(0));
                    worst = sorted.get(1)[0];
                } else {
                    worst = Math.min(score, worst);
                }
            }
        }

        boolean done(double bestSumLogprobs, int curLen) {
            return scores.size() >= beams && worst >= bestSumLogprobs / curLen;
        }

        /** The best hypothesis; of equal scores the one added last, as finalize()'s sort-then-pop takes it. */
        long[] best() {
            double[] top = null;
            for (double[] s : scores) {
                if (top == null || s[0] >= top[0]) {
                    top = s;
                }
            }
            return seqs.get((int) top[1]);
        }
    }

    /**
     * @param prompts (inputs, P) start tokens of each input
     * @return (inputs, L) the best sequence of each input, prompt included, followed by the end token
     *     when it fits, shorter ones padded with {@code pad} (as finalize() lays them out)
     */
    public long[][] search(long[][] prompts, Step step) {
        int inputs = prompts.length;
        int rows = inputs * beams;
        long[][] ids = new long[rows][];
        float[] beamScores = new float[rows];
        for (int r = 0; r < rows; r++) {
            ids[r] = prompts[r / beams].clone();
            beamScores[r] = r % beams == 0 ? 0f : -1e9f;
        }
        List<Hypotheses> hyps = new ArrayList<>();
        boolean[] done = new boolean[inputs];
        for (int i = 0; i < inputs; i++) {
            hyps.add(new Hypotheses());
        }
        int[] parents = null;
        while (true) {
            int curLen = ids[0].length;
            float[][] scores = step.lastLogProbs(ids, parents);
            int vocab = scores[0].length;
            long[][] next = new long[rows][];
            int[] nextParents = new int[rows];
            float[] nextScores = new float[rows];
            for (int b = 0; b < inputs; b++) {
                if (done[b]) {
                    // transformers copies the batch's global row 0 here; a finished input's rows
                    // never reach the output, so its own first row serves and keeps inputs apart
                    for (int k = 0; k < beams; k++) {
                        next[b * beams + k] = append(ids[b * beams], pad);
                        nextParents[b * beams + k] = b * beams;
                    }
                    continue;
                }
                int[] top = topCandidates(scores, beamScores, b, vocab, curLen);
                int k = 0;
                for (int rank = 0; rank < top.length && k < beams; rank++) {
                    int src = b * beams + top[rank] / vocab;
                    long token = top[rank] % vocab;
                    float score = candidate(scores, beamScores, src, (int) token, curLen);
                    if (token == eos) {
                        if (rank < beams) {
                            hyps.get(b).add(ids[src].clone(), score);
                        }
                    } else {
                        next[b * beams + k] = append(ids[src], token);
                        nextParents[b * beams + k] = src;
                        nextScores[b * beams + k] = score;
                        k++;
                    }
                }
                float best = candidate(scores, beamScores, b * beams + top[0] / vocab, top[0] % vocab, curLen);
                done[b] = hyps.get(b).done(best, curLen);
            }
            ids = next;
            parents = nextParents;
            beamScores = nextScores;
            boolean allDone = true;
            for (boolean d : done) {
                allDone &= d;
            }
            if (allDone || ids[0].length >= maxLength) {
                break;
            }
        }
        long[][] best = new long[inputs][];
        for (int b = 0; b < inputs; b++) {
            if (!done[b]) {
                for (int k = 0; k < beams; k++) {
                    hyps.get(b).add(ids[b * beams + k], beamScores[b * beams + k]);
                }
            }
            best[b] = hyps.get(b).best();
        }
        return layOut(best);
    }

    /** A candidate's running score: the beam's score plus the token's (min-length masked) log-probability. */
    private float candidate(float[][] scores, float[] beamScores, int row, int token, int curLen) {
        float lp = token == eos && curLen < minLength ? Float.NEGATIVE_INFINITY : scores[row][token];
        return lp + beamScores[row];
    }

    /** Flat indices (beam * vocab + token) of the best 2 x beams candidates of input b, best first. */
    private int[] topCandidates(float[][] scores, float[] beamScores, int b, int vocab, int curLen) {
        int n = 2 * beams;
        int[] best = new int[n];
        float[] bestScore = new float[n];
        Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
        Arrays.fill(best, -1);
        for (int k = 0; k < beams; k++) {
            for (int t = 0; t < vocab; t++) {
                float s = candidate(scores, beamScores, b * beams + k, t, curLen);
                int flat = k * vocab + t;
                // insertion into the sorted top list; a tie keeps the lower flat index first, as torch.topk does on CPU
                if (best[n - 1] >= 0 && !(s > bestScore[n - 1])) {
                    continue;
                }
                int pos = n - 1;
                while (pos > 0 && (best[pos - 1] < 0 || s > bestScore[pos - 1])) {
                    bestScore[pos] = bestScore[pos - 1];
                    best[pos] = best[pos - 1];
                    pos--;
                }
                bestScore[pos] = s;
                best[pos] = flat;
            }
        }
        return best;
    }

    private static long[] append(long[] seq, long token) {
        long[] out = Arrays.copyOf(seq, seq.length + 1);
        out[seq.length] = token;
        return out;
    }

    /** finalize(): sequences padded to the longest (+1 for the end token, at most max_length), the end token after each. */
    private long[][] layOut(long[][] best) {
        int longest = 0;
        int shortest = Integer.MAX_VALUE;
        for (long[] s : best) {
            longest = Math.max(longest, s.length);
            shortest = Math.min(shortest, s.length);
        }
        int width = Math.min(longest + 1, maxLength);
        long[][] out = new long[best.length][width];
        for (int i = 0; i < best.length; i++) {
            if (shortest != longest) {
                Arrays.fill(out[i], pad);
            }
            System.arraycopy(best[i], 0, out[i], 0, Math.min(best[i].length, width));
            if (best[i].length < width) {
                out[i][best[i].length] = eos;
            }
        }
        return out;
    }
}
