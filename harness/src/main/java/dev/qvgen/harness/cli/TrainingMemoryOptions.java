package dev.qvgen.harness.cli;

import picocli.CommandLine.Option;

/** The memory options of QAT, shared by `qat` and `profile --qat-steps`. */
public final class TrainingMemoryOptions {
    @Option(names = "--activation-checkpointing", negatable = true, fallbackValue = "true",
            description = "Keep only each transformer block's input and recompute the block in the backward pass "
                    + "(default: on).")
    boolean activationCheckpointing = true;

    @Option(names = "--optimizer-on-cpu", description = "Keep AdamW's moments in host memory (the official "
            + "recipe's DeepSpeed offload): 8 bytes per trained parameter off the GPU.")
    boolean optimizerOnCpu;
}
