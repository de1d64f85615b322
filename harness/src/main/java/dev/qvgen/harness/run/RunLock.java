package dev.qvgen.harness.run;

import dev.qvgen.harness.BadInputException;
import dev.qvgen.layers.io.IoErrors;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One writer per run directory: {@code <dir>/.qvgen.lock} holds the owner's pid, host, command
 * and start time. A second run into the directory is refused (bad input, one line); a lock whose
 * pid is no longer running on this host (a run that crashed or was killed) is taken over with a
 * notice. Two runs writing one directory repeated all the work and appended every QAT log row
 * and every evaluation record twice. Shards are separate directories, so they never meet here.
 */
public final class RunLock implements AutoCloseable {
    public static final String FILE = ".qvgen.lock";

    private final Path file;
    private final String owner;
    private final Thread hook;

    private RunLock(Path file, String owner) {
        this.file = file;
        this.owner = owner;
        // Ctrl-C runs shutdown hooks: the lock goes with the run (a kill -9 leaves it, stale)
        this.hook = new Thread(this::release, "qvgen-lock-release");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /**
     * Takes the lock of {@code dir} (which must exist) for {@code command}.
     *
     * @throws BadInputException when another live run holds it
     */
    public static RunLock acquire(Path dir, String command, PrintStream notices) {
        Path file = dir.resolve(FILE);
        long pid = ProcessHandle.current().pid();
        String host = Host.name();
        String content = "pid=" + pid + "\nhost=" + host + "\ncommand=" + command + "\nstarted=" + Instant.now() + "\n";
        for (int attempt = 0; attempt < 2; attempt++) {
            if (create(file, content)) {
                return new RunLock(file, content);
            }
            Map<String, String> held = read(file);
            if (held == null) {
                continue; // released between our attempt and the read
            }
            String heldHost = held.getOrDefault("host", "?");
            long heldPid = parsePid(held.get("pid"));
            boolean alive = heldPid > 0 && ProcessHandle.of(heldPid).map(ProcessHandle::isAlive).orElse(false);
            if (heldHost.equals(host) && !alive) {
                notices.println("qvgen: note: " + file + ": taking over the lock of pid " + held.get("pid") + " ("
                        + held.getOrDefault("command", "?") + " since " + held.getOrDefault("started", "?")
                        + "), which is no longer running");
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    throw new BadInputException(IoErrors.describe(e, file));
                }
                continue;
            }
            String where = heldHost.equals(host) ? "" : " on host " + heldHost;
            throw new BadInputException(dir + ": in use by another qvgen run (pid " + held.get("pid") + where + ", "
                    + held.getOrDefault("command", "?") + " since " + held.getOrDefault("started", "?")
                    + "); one run per directory: wait for it, or use another --out"
                    + (heldHost.equals(host) ? "" : " (if that run is gone, delete " + file + ")"));
        }
        throw new BadInputException(file + ": could not take the lock (another run keeps taking it)");
    }

    /** Atomically creates the lock with its content: written aside, then hard-linked into place. */
    private static boolean create(Path file, String content) {
        Path aside = file.resolveSibling(FILE + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.writeString(aside, content, StandardCharsets.UTF_8);
            try {
                Files.createLink(file, aside); // link(2) fails if the lock exists: no window between test and set
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } catch (UnsupportedOperationException e) {
                Files.move(aside, file); // no hard links: fails if the lock exists, nearly atomic
                return true;
            }
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException e) {
            throw new BadInputException(IoErrors.describe(e, file));
        } finally {
            try {
                Files.deleteIfExists(aside);
            } catch (IOException ignored) {
                // a stray aside file is harmless; the lock state is what matters
            }
        }
    }

    private static Map<String, String> read(Path file) {
        try {
            Map<String, String> m = new LinkedHashMap<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            return m;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new BadInputException(IoErrors.describe(e, file));
        }
    }

    private static long parsePid(String s) {
        try {
            return s == null ? -1 : Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Deletes the lock if it is still ours. */
    private synchronized void release() {
        try {
            if (Files.exists(file) && Files.readString(file, StandardCharsets.UTF_8).equals(owner)) {
                Files.delete(file);
            }
        } catch (IOException ignored) {
            // the run is over either way; a leftover lock of a dead pid is taken over next time
        }
    }

    @Override
    public void close() {
        release();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // already shutting down: the hook runs release() again, which is harmless
        }
    }

    /** This machine's name, as the lock records it. */
    static final class Host {
        private Host() {}

        static String name() {
            try {
                String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
                if (!h.isEmpty()) {
                    return h;
                }
            } catch (IOException | RuntimeException ignored) {
                // not Linux: fall through
            }
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                return "localhost";
            }
        }
    }
}
