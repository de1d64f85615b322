package dev.qvgen.harness.cli;

import ai.djl.ndarray.NDManager;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.harness.Djl;
import dev.qvgen.harness.data.ClipPreprocessor;
import dev.qvgen.harness.data.ClipSampler;
import dev.qvgen.harness.data.DataPrepare;
import dev.qvgen.harness.data.TrainingClipDefaults;
import dev.qvgen.harness.data.VideoList;
import dev.qvgen.models.pipeline.VideoPipeline;
import dev.qvgen.models.zoo.ModelRegistry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Training data: videos and captions encoded once into cached latents and text states. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Training data for QAT.",
        subcommands = {DataCommand.Prepare.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true, description = "Encode videos (VAE) and captions "
            + "(text encoder) into sharded safetensors with a manifest; resumable; unusable videos are skipped "
            + "with one line each and listed in the manifest.")
    public static final class Prepare implements Callable<Integer> {
        @Option(names = "--model", description = "registry model (${COMPLETION-CANDIDATES}); with --model-dir",
                completionCandidates = GenerateCommand.ModelNames.class)
        String model;

        @Option(names = "--model-dir", description = "the model's diffusers checkpoint directory.")
        Path modelDir;

        @Option(names = "--pipeline-dir", description = "any diffusers text-to-video pipeline directory (WanPipeline, "
                + "CogVideoXPipeline), e.g. a shrunk one.")
        Path pipelineDir;

        @Option(names = "--videos", required = true, description = "a CSV with video and caption columns "
                + "(OpenVid-1M), or a folder of name.mp4 + name.txt.")
        Path videos;

        @Option(names = "--video-root", description = "folder the CSV's video paths are relative to (default: the "
                + "CSV's folder).")
        Path videoRoot;

        @Option(names = "--video-column", defaultValue = "video", description = "CSV column of video paths "
                + "(default: ${DEFAULT-VALUE}).")
        String videoColumn;

        @Option(names = "--caption-column", defaultValue = "caption", description = "CSV column of captions "
                + "(default: ${DEFAULT-VALUE}).")
        String captionColumn;

        @Option(names = "--out", required = true, description = "output folder (shards, empty_text, manifest.json).")
        Path out;

        @Option(names = "--frames", description = "frames per clip (default: the official recipe's 49).")
        Integer frames;

        @Option(names = "--height", description = "clip height (default: 480).")
        Integer height;

        @Option(names = "--width", description = "clip width (default: 832 for Wan, 720 for CogVideoX).")
        Integer width;

        @Option(names = "--stride", description = "take every N-th frame from the first, instead of the official "
                + "even stride floor(frames_in_video / frames).")
        Integer stride;

        @Option(names = "--sample-fps", description = "take frames at this rate (frame shown at i / fps seconds), "
                + "instead of the official even stride.")
        Double sampleFps;

        @Option(names = "--crop", defaultValue = "none", description = "none: stretch to HxW, bilinear (the official "
                + "default); center: keep the aspect ratio, bicubic, centre crop (default: ${DEFAULT-VALUE}).")
        String crop;

        @Option(names = "--allow-upscale", description = "use videos smaller than HxW too (enlarged); by default "
                + "they are skipped as too small.")
        boolean allowUpscale;

        @Option(names = "--max-sequence-length", description = "prompt tokens (default: the pipeline's, 512 Wan / 226 "
                + "CogVideoX, as the official training).")
        Integer maxSequenceLength;

        @Option(names = "--shard-size", defaultValue = "16", description = "input videos per shard (the unit of "
                + "resumption; default: ${DEFAULT-VALUE}).")
        int shardSize;

        @Option(names = "--threads", defaultValue = "0", description = "intra-op threads (0: the engine's default).")
        int threads;

        @Option(names = "--device", defaultValue = "cpu", converter = DeviceConverter.class, description = "cpu or "
                + "cuda:N: where the VAE and text encoder run (float32, as the official data step).")
        ai.djl.Device onDevice;

        @Override
        public Integer call() throws Exception {
            Path dir = checkedDirectory();
            ClipPreprocessor.Crop cropMode;
            try {
                cropMode = ClipPreprocessor.Crop.parse(crop);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            if (stride != null && sampleFps != null) {
                throw new BadInputException("give --stride or --sample-fps, not both");
            }
            List<VideoList.Entry> entries = VideoList.read(videos, videoRoot, videoColumn, captionColumn);
            String cls = VideoPipeline.pipelineClassOf(dir);
            TrainingClipDefaults d;
            try {
                d = TrainingClipDefaults.forPipeline(cls);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            int f = frames != null ? frames : d.frames();
            int h = height != null ? height : d.height();
            int w = width != null ? width : d.width();
            ClipSampler sampler;
            try {
                sampler = stride != null ? ClipSampler.stride(f, stride)
                        : sampleFps != null ? ClipSampler.fps(f, sampleFps) : ClipSampler.even(f);
            } catch (IllegalArgumentException e) {
                throw new BadInputException(e.getMessage());
            }
            Djl.configure(threads);
            try (NDManager manager = NDManager.newBaseManager(onDevice);
                    VideoPipeline pipeline = VideoPipeline.fromPretrained(dir, manager)) {
                int len = maxSequenceLength != null ? maxSequenceLength : pipeline.defaultMaxSequenceLength();
                try {
                    // The pipeline's own size rules (frames 1 + 4k, sides multiples of 16) apply to clips too.
                    pipeline.latentShape(new VideoPipeline.Settings(h, w, f, 1, 1.0, len));
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(e.getMessage());
                }
                System.out.printf(Locale.ROOT, "data prepare: %s, clips of %d frames at %dx%d (%s, crop %s)%n", cls, f, w,
                        h, sampler.rule().name().toLowerCase(Locale.ROOT), crop);
                new DataPrepare(pipeline, model != null ? model : dir.getFileName().toString(), sampler,
                        new ClipPreprocessor(h, w, cropMode), len, shardSize, allowUpscale, System.out)
                        .run(entries, out, manager);
            }
            return 0;
        }

        private Path checkedDirectory() {
            if (modelDir != null && pipelineDir != null) {
                throw new BadInputException("give --model-dir or --pipeline-dir, not both");
            }
            if (modelDir != null) {
                if (model == null) {
                    throw new BadInputException("--model-dir needs --model (or use --pipeline-dir)");
                }
                try {
                    ModelRegistry.checkDirectory(model, modelDir);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException("--model: " + e.getMessage());
                }
                return modelDir;
            }
            if (pipelineDir != null) {
                ModelRegistry.checkDirectory(pipelineDir);
                return pipelineDir;
            }
            throw new BadInputException("give --model-dir (with --model) or --pipeline-dir");
        }
    }
}
