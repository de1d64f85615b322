package dev.qvgen.harness.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.qvgen.layers.nn.Autocast;
import dev.qvgen.layers.nn.Precision;
import dev.qvgen.layers.train.Blockwise;
import dev.qvgen.models.family.DenoisingTransformer;
import dev.qvgen.quantizer.qat.QatTrainer;

/**
 * The forwards of distillation QAT, whatever the batches: the student in float32 or with bfloat16
 * products ({@link Autocast}), cut at its blocks for activation checkpointing where asked and
 * possible, and the teacher on inputs of its own compute type (a bfloat16 teacher in mixed
 * precision). Subclasses say where the batches come from (the study's clips, the profiler's
 * random inputs).
 */
public abstract class DistillationTask implements QatTrainer.Task {
    private final DenoisingTransformer student;
    private final DenoisingTransformer teacher;
    private final boolean mixed;
    private final boolean checkpointing;

    /**
     * @param mixed bfloat16 products for the student; the teacher must already be bfloat16
     * @param checkpointing train through {@link #studentBlockwise} where the student cuts at its blocks
     */
    protected DistillationTask(DenoisingTransformer student, DenoisingTransformer teacher, boolean mixed,
            boolean checkpointing) {
        this.student = student;
        this.teacher = teacher;
        this.mixed = mixed;
        this.checkpointing = checkpointing;
    }

    @Override
    public NDArray student(QatTrainer.Batch b) {
        if (!mixed) {
            return student.forward(b.input(), b.timesteps(), b.context());
        }
        try (var bf16 = Autocast.bf16()) {
            return student.forward(b.input(), b.timesteps(), b.context());
        }
    }

    @Override
    public Blockwise studentBlockwise(QatTrainer.Batch b) {
        Blockwise net = checkpointing ? student.blockwise(b.input(), b.timesteps(), b.context()) : null;
        return net == null || !mixed ? net : net.withBf16Products();
    }

    @Override
    public NDArray teacher(QatTrainer.Batch b) {
        if (!mixed) {
            return teacher.forward(b.input(), b.timesteps(), b.context());
        }
        return teacher.forward(Precision.to(b.input(), DataType.BFLOAT16), b.timesteps(),
                Precision.to(b.context(), DataType.BFLOAT16));
    }
}
