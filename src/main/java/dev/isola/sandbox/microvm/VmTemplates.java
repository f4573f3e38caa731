package dev.isola.sandbox.microvm;

import dev.isola.host.FileTrees;
import dev.isola.host.PidfdExits;
import dev.isola.host.PrivateFiles;
import dev.isola.host.ProcessRunner;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.sandbox.spi.SandboxUids;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * MicroVM clones: per function version, kernel, init, memory size and accelerator, one <em>template</em> VM is
 * booted until its function accepts connections, saved, and stopped; every later instance is a clone that resumes
 * from the saved template instead of booting. No boot at all, and clones share the template's memory pages they
 * only read.
 *
 * <p>How (QEMU 7.2): the template's RAM is a file mapped shared ({@link QemuCommand.Memory}); with the migration
 * capability {@code x-ignore-shared} the saved state leaves that RAM out (tens of KiB: CPU and device state). A clone
 * maps the same file private (copy-on-write), loads the state ({@code -incoming defer}, then
 * {@code migrate-incoming fd:3}) and continues ({@code cont}) exactly where the template stopped: in its init,
 * waiting on the identity port ({@link QemuCommand}) for its address, MAC, readiness URL, the time and a fresh
 * random seed ({@code guest/init/clone.go}).
 *
 * <p>Why re-addressing in the guest and not a network namespace per clone with the template's address: the
 * bridge, the firewall's per-device address and MAC binding, the readiness relay and egress all stay exactly as for
 * booted VMs; a namespace per clone would need NAT in front of every VM and a second network model.
 *
 * <p>The template lives beside the version's images ({@code v3.microvm/template-...}: the memory file, sparse, and
 * the state), so it is deleted with the version, and a new kernel or init gets a new one. It holds the function's
 * memory, environment included, under the state directory (0700). Templates are made in the background after a
 * version's first boot, one at a time per template; a version whose template cannot be made keeps booting, and
 * {@link #diagnostics()} says why.
 *
 * <p>Jail: a template boots jailed like any VM (own uid, chroot, no capabilities, seccomp, cgroup) and without a
 * network (a hub port to nowhere: it is never called). QEMU saves it through a socket in its chroot, the one path it
 * can reach. Known limit: QEMU 7.2 opens a clone's memory file read-write (its {@code readonly} makes guest RAM
 * read-only), so an escaped clone could write the template of its own function; nothing of another function.
 */
final class VmTemplates {
    private static final System.Logger LOG = System.getLogger(VmTemplates.class.getName());
    /** A template boot under TCG with the generic kernel on a loaded host takes tens of seconds. */
    private static final Duration MAKE_TIMEOUT = Duration.ofMinutes(3);
    /**
     * What the template VM may print before it is saved. Its console is a plain file, not a booted VM's bounded one
     * (nothing reads it as it grows): a function printing in a loop would fill the state disk for three minutes.
     */
    static final long MAX_CONSOLE_BYTES = 16L << 20;
    /** What of the console's end a failure reads to say what the template last printed. */
    private static final int CONSOLE_TAIL_BYTES = 4096;
    private static final Duration RESUME_TIMEOUT = Duration.ofSeconds(30);
    /** Addresses a template's guest configures, never reachable: it has no network (RFC 5737's TEST-NET-1). */
    private static final List<String> TEMPLATE_NETWORK = List.of("isola.ip=192.0.2.2", "isola.prefix=24",
            "isola.gw=192.0.2.1", "isola.template=1");
    private static final String TEMPLATE_MAC = "02:00:c0:00:02:02";
    private static final String IGNORE_SHARED = "{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
            + "\"state\":true}]}";
    private static final Pattern MIGRATION_STATUS = Pattern.compile("\"status\": *\"([a-z-]+)\"");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a template is made of; two VMs with equal keys can be clones of one template. */
    record Key(GuestImages.Images images, GuestKernel kernel, Path init, long memoryMib, Accelerator accelerator) {
        Path dir() {
            return images.rootDisk().resolveSibling("template-" + kernel.name() + "-" + kernel.version() + "-"
                    + init.getParent().getFileName() + "-" + memoryMib + "m-" + accelerator.wireName());
        }
    }

    /** A saved template: guest RAM and the CPU and device state. */
    record Template(Key key, Path dir) {
        Path memory() {
            return dir.resolve("memory");
        }

        Path state() {
            return dir.resolve("state");
        }
    }

    /** Who a clone becomes, written on its identity port. */
    record Identity(InetAddress address, int prefixLength, InetAddress gateway, String mac, URI readyUrl) {
        String line() {
            byte[] seed = new byte[32];
            RANDOM.nextBytes(seed);
            Instant now = Instant.now();
            return "isola.ip=" + address.getHostAddress() + " isola.prefix=" + prefixLength + " isola.gw="
                    + gateway.getHostAddress() + " isola.mac=" + mac + " isola.ready=" + readyUrl + " isola.time="
                    + (now.getEpochSecond() * 1_000_000_000L + now.getNano()) + " isola.seed="
                    + HexFormat.of().formatHex(seed) + "\n";
        }
    }

    private final ProcessRunner runner;
    private final SandboxUids uids;
    private final Path runDir;
    private final Path cacheDir;
    private final int tbMib;
    private final Set<Key> making = ConcurrentHashMap.newKeySet();
    private final Map<Key, String> failed = new ConcurrentHashMap<>();
    private final PidfdExits exits;
    private final Set<VmProcess> templateVms = ConcurrentHashMap.newKeySet();
    private final Set<Thread> makers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile String lastFailure;

    VmTemplates(ProcessRunner runner, PidfdExits exits, SandboxUids uids, Path runDir, Path cacheDir, int tbMib) {
        this.runner = runner;
        this.exits = exits;
        this.cacheDir = cacheDir;
        this.uids = uids;
        this.runDir = runDir;
        this.tbMib = tbMib;
    }

    /** The saved template for {@code key}, if there is one. */
    Optional<Template> ready(Key key) {
        Template template = new Template(key, key.dir());
        return failed.containsKey(key) || !Files.isRegularFile(template.state()) ? Optional.empty()
                : Optional.of(template);
    }

    /** Starts making the template for {@code key} in the background, unless it is made, being made or failed. */
    void makeInBackground(Key key, double cpus) {
        if (stopping.get() || failed.containsKey(key) || ready(key).isPresent() || !making.add(key)) {
            return;
        }
        Thread maker = Thread.ofPlatform().daemon().name("isola-vm-template").unstarted(() -> {
            try {
                long began = System.nanoTime();
                Template template = make(key, cpus);
                LOG.log(System.Logger.Level.INFO, "microvm: template " + template.dir().getFileName() + " saved in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) + " ms; new instances of "
                        + key.images().rootDisk().getParent().getFileName() + " are clones of it");
            } catch (RuntimeException e) {
                if (!stopping.get()) {
                    fail(key, e.getMessage());
                }
            } finally {
                making.remove(key);
                makers.remove(Thread.currentThread());
            }
        });
        makers.add(maker);
        maker.start();
    }

    /** A template whose clone failed: deleted, and its versions boot from now on. */
    void discard(Template template, String reason) {
        fail(template.key(), "a clone failed to resume: " + reason);
        FileTrees.deleteQuietly(template.dir());
    }

    private void fail(Key key, String reason) {
        failed.put(key, reason);
        lastFailure = key.dir().getFileName() + ": " + reason;
        LOG.log(System.Logger.Level.WARNING, "microvm: no clones for " + key.dir() + ", its instances boot: "
                + reason);
    }

    String diagnostics() {
        return "clones: on (a template per version is booted once and saved; instances resume from it)"
                + Optional.ofNullable(lastFailure).map(f -> "; last template failure: " + f).orElse("");
    }

    /** Stops templates being made (their QEMU killed, their files removed) and waits for their makers. */
    void shutdown() {
        stopping.set(true);
        templateVms.forEach(VmProcess::killNow); // through their pidfds: no other process can be hit
        for (Thread maker : makers) {
            try {
                maker.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The kernel command line of a template and so of its clones (QEMU's copy must match what the guest's memory
     * holds): no instance and no readiness URL, which a clone learns on its identity port.
     */
    static List<String> cmdline(Key key) {
        List<String> cmdline = new ArrayList<>(MicrovmBackend.BASE_CMDLINE);
        cmdline.addAll(TEMPLATE_NETWORK);
        cmdline.addAll(key.kernel().cmdline(key.accelerator()));
        return cmdline;
    }

    /**
     * Makes a clone of {@code template} out of a QEMU started with {@link QemuCommand#incoming()}: loads the saved
     * state, lets the guest run and gives it its identity. Its readiness call follows as for a booted VM.
     */
    static void resume(Path workDir, Identity identity) throws IOException {
        long began = System.nanoTime();
        long loaded;
        try (Qmp.Session qmp = Qmp.Session.open(QemuCommand.qmpSocket(workDir), RESUME_TIMEOUT)) {
            qmp.execute("migrate-set-capabilities", IGNORE_SHARED);
            qmp.execute("migrate-incoming", "{\"uri\":\"fd:3\"}");
            awaitMigration(qmp);
            qmp.execute("cont", "{}");
            loaded = System.nanoTime();
        }
        try (SocketChannel port = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            port.connect(UnixDomainSocketAddress.of(QemuCommand.identitySocket(workDir)));
            Channels.newOutputStream(port).write(identity.line().getBytes(StandardCharsets.US_ASCII));
            awaitEcho(port);
        }
        // Where a clone's start goes (with the guest's own "clone ready N ms after resuming" and the readiness
        // call after it): QEMU's start and the state's load, then the hand-over of the identity.
        LOG.log(System.Logger.Level.DEBUG, () -> "microvm: " + workDir.getFileName() + " resumed: QEMU up and state "
                + "loaded in " + TimeUnit.NANOSECONDS.toMillis(loaded - began) + " ms, identity taken "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loaded) + " ms later");
    }

    /**
     * Waits until the guest's tty echoes the identity line: QEMU drops what a peer sent if the peer hangs up
     * before the guest's UART took it, so the port stays open until the guest has the whole line.
     */
    private static void awaitEcho(SocketChannel port) throws IOException {
        port.configureBlocking(false);
        ByteBuffer echo = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + RESUME_TIMEOUT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            int from = echo.position();
            if (port.read(echo) < 0) {
                break;
            }
            for (int i = from; i < echo.position(); i++) {
                if (echo.get(i) == '\n') {
                    return;
                }
            }
            if (!echo.hasRemaining()) {
                echo.clear();
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
        throw new IOException("the clone did not take its identity within " + RESUME_TIMEOUT.toSeconds() + " s");
    }

    private Template make(Key key, double cpus) {
        String id = "tpl." + HexFormat.of().formatHex(RANDOM.generateSeed(5));
        Path workDir = runDir.resolve(id);
        // Named apart from finished templates: a "template-…" directory is always whole.
        Path staging = key.dir().resolveSibling(stagingPrefix(key) + id);
        int uid = uids.acquire(id);
        VmCgroup cgroup = null;
        VmProcess process = null;
        AtomicBoolean done = new AtomicBoolean();
        try (ServerSocketChannel saved = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            removeStaleStaging(key);
            Files.createDirectories(workDir);
            Files.createDirectories(staging);
            Path memory = Files.createFile(staging.resolve("memory"),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            VmJail jail = VmJail.prepare(workDir, uid);
            String socketInJail = jail.offerSocket(saved, "save.sock");
            cgroup = VmCgroup.create(id, (key.memoryMib() << 20) + MicrovmBackend.QEMU_OVERHEAD_BYTES, cpus);
            QemuCommand command = new QemuCommand(GoProgram.VMEXEC.ensureBuilt(runner, cacheDir), key.kernel(),
                    key.images(), key.accelerator(), tbMib, key.memoryMib(), cmdline(key), Optional.empty(),
                    TEMPLATE_MAC, workDir, Optional.of(new QemuCommand.Memory(memory, true)), false);
            Path console = workDir.resolve("console");
            process = VmProcess.start(runner, exits, command, jail, cgroup, console, Optional.empty(), true);
            templateVms.add(process);
            VmProcess vm = process;
            process.onExit().thenRun(() -> uids.release(uid));
            // Every wait below ends when QEMU does: the watchdog kills it and closes the socket.
            CompletableFuture.delayedExecutor(MAKE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (!done.get()) {
                    vm.killNow();
                    closeQuietly(saved);
                }
            });
            Thread.ofVirtual().name("template-console-" + id).start(() -> {
                while (!done.get() && vm.isAlive()) {
                    if (console.toFile().length() > MAX_CONSOLE_BYTES) {
                        LOG.log(System.Logger.Level.WARNING, "microvm: template " + key.dir().getFileName()
                                + " printed more than " + (MAX_CONSOLE_BYTES >> 20) + " MiB before it was saved; "
                                + "stopped");
                        vm.killNow();
                        closeQuietly(saved);
                        return;
                    }
                    LockSupport.parkNanos(Duration.ofMillis(250).toNanos());
                }
            });
            awaitReady(QemuCommand.identitySocket(workDir), process, console);
            try (Qmp.Session qmp = Qmp.Session.open(QemuCommand.qmpSocket(workDir), MAKE_TIMEOUT)) {
                qmp.execute("migrate-set-capabilities", IGNORE_SHARED);
                qmp.execute("stop", "{}");
                qmp.execute("migrate", "{\"uri\":\"unix:" + socketInJail + "\"}");
                try (SocketChannel stream = saved.accept();
                     OutputStream out = PrivateFiles.output(staging.resolve("state"))) {
                    Channels.newInputStream(stream).transferTo(out);
                }
                awaitMigration(qmp);
                qmp.execute("quit", "{}");
            }
            if (!process.awaitExit(Duration.ofSeconds(10))) {
                throw new IOException("QEMU did not exit after quit");
            }
            Files.move(staging, key.dir(), StandardCopyOption.ATOMIC_MOVE);
            return new Template(key, key.dir());
        } catch (IOException | RuntimeException e) {
            throw new SandboxException("the template VM could not be made: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while making a template", e);
        } finally {
            done.set(true);
            if (process == null) {
                uids.release(uid);
            } else {
                process.kill();
                templateVms.remove(process);
            }
            if (cgroup != null) {
                cgroup.close();
            }
            FileTrees.deleteQuietly(workDir);
            FileTrees.deleteQuietly(staging);
        }
    }

    private static String stagingPrefix(Key key) {
        return "staging-" + key.dir().getFileName() + "-";
    }

    /** What a make of this key cut short by a crash left (only one make per key runs at a time). */
    private static void removeStaleStaging(Key key) throws IOException {
        String prefix = stagingPrefix(key);
        try (var siblings = Files.list(key.dir().getParent())) {
            siblings.filter(p -> p.getFileName().toString().startsWith(prefix)).forEach(FileTrees::deleteQuietly);
        }
    }

    /** Reads the template's "ready" from its identity port; says what the console last said if it never comes. */
    private static void awaitReady(Path identitySocket, VmProcess process, Path console) throws IOException {
        SocketChannel connected;
        try {
            connected = Qmp.connectWhile(identitySocket, process::isAlive);
        } catch (IOException e) {
            throw new IOException("QEMU exited (" + lastLine(console) + ")", e);
        }
        try (SocketChannel port = connected; InputStream in = Channels.newInputStream(port)) {
            StringBuilder said = new StringBuilder(); // "ready\r\n": the guest's tty turns \n into \r\n
            for (int c = in.read(); c >= 0 && c != '\n' && said.length() < 64; c = in.read()) {
                said.append((char) c);
            }
            if (!said.toString().strip().equals("ready")) {
                throw new IOException("the template never became ready (" + lastLine(console) + ")");
            }
        }
    }

    private static void awaitMigration(Qmp.Session qmp) throws IOException {
        while (true) {
            Matcher status = MIGRATION_STATUS.matcher(qmp.execute("query-migrate", "{}"));
            String now = status.find() ? status.group(1) : "none";
            if (now.equals("completed")) {
                return;
            }
            if (now.equals("failed") || now.equals("cancelled")) {
                throw new IOException("migration " + now);
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos());
        }
    }

    /** The console's last line, from its last {@value #CONSOLE_TAIL_BYTES} bytes: the guest decides its size. */
    private static String lastLine(Path console) {
        try (RandomAccessFile file = new RandomAccessFile(console.toFile(), "r")) {
            byte[] tail = new byte[(int) Math.min(file.length(), CONSOLE_TAIL_BYTES)];
            file.seek(file.length() - tail.length);
            file.readFully(tail);
            List<String> lines = new String(tail, StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "no console output" : "console: " + lines.getLast().strip();
        } catch (IOException e) {
            return "no console";
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // closing only to unblock accept
        }
    }
}
