package dev.qvgen.harness.toy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import javax.imageio.ImageIO;

/** Frames side by side, enlarged with nearest neighbour, as one PNG (a quick look at a clip). */
public final class Filmstrip {
    private Filmstrip() {}

    public static void write(Path png, float[][][][] frames, int scale) throws IOException {
        int f = frames.length;
        int h = frames[0].length;
        int w = frames[0][0].length;
        BufferedImage img = new BufferedImage(f * (w * scale + 2), h * scale, BufferedImage.TYPE_INT_RGB);
        for (int t = 0; t < f; t++) {
            for (int y = 0; y < h * scale; y++) {
                for (int x = 0; x < w * scale; x++) {
                    float[] p = frames[t][y / scale][x / scale];
                    int rgb = (c(p[0]) << 16) | (c(p[1]) << 8) | c(p[2]);
                    img.setRGB(t * (w * scale + 2) + x, y, rgb);
                }
            }
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp");
        ImageIO.write(img, "png", tmp.toFile());
        Files.move(tmp, png, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static int c(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255f)));
    }
}
