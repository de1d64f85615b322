package dev.qvgen.metrics.ops;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * FFmpeg's swscale bilinear resize of packed RGB24 frames: the scaler behind decord's
 * {@code VideoReader(width=, height=)}, which VBench uses to read frames at a fixed size (decord
 * runs FFmpeg's {@code scale} filter, whose default flags in the FFmpeg 4 it ships are bilinear).
 * decord scales the decoder's YUV 4:2:0 planes and then converts to RGB; this scales the decoded
 * RGB frames (swscale converts RGB input internally, with horizontally subsampled chroma), so
 * values can differ slightly from decord's. Not checked against decord, which is not available
 * here.
 */
public final class SwscaleResize {
    private SwscaleResize() {}

    /** @return {@code outH x outW x 3} bytes */
    public static byte[] bilinear(byte[] rgb, int h, int w, int outH, int outW) {
        if (h == outH && w == outW) {
            return rgb.clone();
        }
        SwsContext ctx = sws_getContext(w, h, AV_PIX_FMT_RGB24, outW, outH, AV_PIX_FMT_RGB24, SWS_BILINEAR,
                null, null, (DoublePointer) null);
        if (ctx == null) {
            throw new IllegalStateException("swscale cannot resize " + w + "x" + h + " to " + outW + "x" + outH);
        }
        try (BytePointer src = new BytePointer(rgb); BytePointer dst = new BytePointer((long) outH * outW * 3);
                PointerPointer<BytePointer> srcPlanes = new PointerPointer<>(src, null, null, null);
                PointerPointer<BytePointer> dstPlanes = new PointerPointer<>(dst, null, null, null);
                IntPointer srcStride = new IntPointer(3 * w, 0, 0, 0);
                IntPointer dstStride = new IntPointer(3 * outW, 0, 0, 0)) {
            sws_scale(ctx, srcPlanes, srcStride, 0, h, dstPlanes, dstStride);
            byte[] out = new byte[outH * outW * 3];
            dst.get(out);
            return out;
        } finally {
            sws_freeContext(ctx);
        }
    }
}
