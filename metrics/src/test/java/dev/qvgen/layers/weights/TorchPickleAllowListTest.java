package dev.qvgen.layers.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.qvgen.layers.io.CheckpointException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Issue #16: a .pth whose pickle names a global outside the allow-list is refused with that name. */
class TorchPickleAllowListTest {
    @TempDir
    Path tmp;

    /** A torch.save-shaped zip whose data.pkl is {@code pickle}. */
    static Path pth(Path file, byte[] pickle) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(pickle);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("archive/byteorder"));
            zip.write("little".getBytes(StandardCharsets.US_ASCII));
            zip.closeEntry();
        }
        return file;
    }

    /** pickle.dumps of {@code os.system("echo pwned")}'s reduction, protocol 2: GLOBAL 'os system'. */
    static byte[] osSystemProtocol2() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 2});
        b.writeBytes("cos\nsystem\n".getBytes(StandardCharsets.US_ASCII));
        byte[] arg = "echo pwned".getBytes(StandardCharsets.US_ASCII);
        b.write('X');
        b.writeBytes(new byte[] {(byte) arg.length, 0, 0, 0});
        b.writeBytes(arg);
        b.write(0x85); // TUPLE1
        b.write('R'); // REDUCE
        b.write('.'); // STOP
        return b.toByteArray();
    }

    /** The same with protocol 4's STACK_GLOBAL, as pickle.dumps(..., protocol=4) writes it. */
    static byte[] osSystemProtocol4() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {(byte) 0x80, 4});
        for (String s : new String[] {"os", "system"}) {
            b.write(0x8c); // SHORT_BINUNICODE
            b.write(s.length());
            b.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
        }
        b.write(0x93); // STACK_GLOBAL
        b.write(0x8c);
        b.write(10);
        b.writeBytes("echo pwned".getBytes(StandardCharsets.US_ASCII));
        b.write(0x85);
        b.write('R');
        b.write('.');
        return b.toByteArray();
    }

    @Test
    void osSystemIsRefusedByName() throws IOException {
        for (byte[] pickle : new byte[][] {osSystemProtocol2(), osSystemProtocol4()}) {
            Path file = pth(tmp.resolve("evil-" + pickle[1] + ".pth"), pickle);
            CheckpointException e = assertThrows(CheckpointException.class, () -> TorchPickle.open(file));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("refused global os.system"), e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void theAllowListCoversTorchsOwnGlobalsAndNothingThatRunsCode() {
        assertTrue(TorchPickle.allowedGlobal("torch._utils", "_rebuild_tensor_v2"));
        assertTrue(TorchPickle.allowedGlobal("collections", "OrderedDict"));
        assertTrue(TorchPickle.allowedGlobal("torch", "BFloat16Storage"));
        assertTrue(TorchPickle.allowedGlobal("__torch__.torch.nn.modules.linear", "Linear"));
        for (String[] g : new String[][] {{"os", "system"}, {"posix", "system"}, {"builtins", "eval"},
                {"builtins", "exec"}, {"builtins", "getattr"}, {"builtins", "__import__"}, {"subprocess", "Popen"},
                {"torch", "load"}, {"__torch_evil", "x"}}) {
            assertTrue(!TorchPickle.allowedGlobal(g[0], g[1]), g[0] + "." + g[1]);
        }
    }
}
