package dev.isola.sandbox;

import dev.isola.testing.Await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

/**
 * A stand-in for the world beyond the host, made only of things this test creates: a network namespace
 * {@value #NETNS} joined to the host by a veth with two small subnets, a public-looking one (203.0.113.0/30,
 * TEST-NET-3: documentation only, and the veth's route keeps it on this host) and a private one (10.201.0.0/30, the
 * LAN that egress must not reach), with busybox's httpd listening inside on {@value #PORT}. {@link #close()} stops that server (the child this class started) and deletes the namespace,
 * which deletes the veth.
 */
final class OutsideNetwork implements AutoCloseable {
    private static final String NETNS = "itest-outside";
    private static final String HOST_END = "itest-out0";
    private static final int PORT = 9000;

    private final Process server;
    private final java.nio.file.Path docroot;

    private OutsideNetwork(Process server, java.nio.file.Path docroot) {
        this.server = server;
        this.docroot = docroot;
    }

    static OutsideNetwork create() throws IOException, InterruptedException {
        run("ip", "netns", "add", NETNS);
        java.nio.file.Path docroot = null;
        Process server = null;
        try {
            run("ip", "link", "add", HOST_END, "type", "veth", "peer", "name", "itest-out1", "netns", NETNS);
            run("ip", "addr", "add", "203.0.113.1/30", "dev", HOST_END);
            run("ip", "addr", "add", "10.201.0.1/30", "dev", HOST_END);
            run("ip", "link", "set", HOST_END, "up");
            run("ip", "-n", NETNS, "addr", "add", "203.0.113.2/30", "dev", "itest-out1");
            run("ip", "-n", NETNS, "addr", "add", "10.201.0.2/30", "dev", "itest-out1");
            run("ip", "-n", NETNS, "link", "set", "itest-out1", "up");
            docroot = java.nio.file.Files.createTempDirectory("isola-test-outside-");
            server = new ProcessBuilder("ip", "netns", "exec", NETNS, "busybox", "httpd", "-f", "-p",
                    Integer.toString(PORT), "-h", docroot.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            OutsideNetwork outside = new OutsideNetwork(server, docroot);
            Await.until(Duration.ofSeconds(10), outside::listening, "busybox httpd to listen on " + outside.address());
            return outside;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            if (server != null) {
                server.destroyForcibly(); // the child started above
                server.waitFor();
            }
            run("ip", "netns", "del", NETNS);
            if (docroot != null) {
                java.nio.file.Files.deleteIfExists(docroot);
            }
            throw e;
        }
    }

    /** The server at a public address. */
    String address() {
        return "203.0.113.2:" + PORT;
    }

    /** The same server at a private (LAN) address. */
    String privateAddress() {
        return "10.201.0.2:" + PORT;
    }

    /** Whether the server accepts connections from the host, over the veth; fails if it exited instead. */
    private boolean listening() {
        if (!server.isAlive()) {
            throw new IllegalStateException("busybox httpd in " + NETNS + " exited with " + server.exitValue());
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("203.0.113.2", PORT), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.destroyForcibly();
        server.waitFor();
        run("ip", "netns", "del", NETNS);
        java.nio.file.Files.deleteIfExists(docroot);
    }

    private static void run(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(argv)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }
}
