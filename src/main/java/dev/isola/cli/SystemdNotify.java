package dev.isola.cli;

import dev.isola.config.ConfigLoader;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * systemd's readiness protocol ({@code sd_notify}): one datagram of {@code KEY=value} lines to the unix socket named
 * by {@code $NOTIFY_SOCKET}. Java has no unix datagram sockets, so the three libc calls go through the foreign
 * function API; sent from the JVM itself, the message comes from the unit's main process, as systemd expects
 * ({@code systemd-notify} as a child races its own exit). Without {@code $NOTIFY_SOCKET} (not under systemd) nothing
 * is sent. Never throws: a service whose notification fails still serves, and systemd's start timeout says so.
 */
final class SystemdNotify {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SUN_PATH_BYTES = 108;

    private SystemdNotify() {
    }

    /** Sends {@code state} ({@code READY=1}, {@code STOPPING=1}, {@code STATUS=...}) if systemd is listening. */
    static void send(String state) {
        ConfigLoader.environment("NOTIFY_SOCKET").filter(s -> !s.isEmpty()).ifPresent(s -> {
            try {
                sendTo(s, state);
            } catch (Throwable t) {
                System.err.println("isola: failed to notify systemd (" + state + "): " + t);
            }
        });
    }

    /** {@code socket} as in {@code $NOTIFY_SOCKET}: a path, or {@code @name} in the abstract namespace. */
    static void sendTo(String socket, String state) throws Throwable {
        byte[] path = socket.getBytes(StandardCharsets.UTF_8);
        if (path.length >= SUN_PATH_BYTES) {
            throw new IllegalArgumentException("NOTIFY_SOCKET is too long for a unix socket address: " + socket);
        }
        boolean abstractName = path[0] == '@';
        if (abstractName) {
            path[0] = 0;
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle socketCall = linker.downcallHandle(libc.find("socket").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        MethodHandle sendto = linker.downcallHandle(libc.find("sendto").orElseThrow(), FunctionDescriptor.of(
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = arena.allocate(2 + SUN_PATH_BYTES); // struct sockaddr_un, zeroed
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(path, 0, address, ValueLayout.JAVA_BYTE, 2, path.length);
            // An abstract name is exactly its bytes; a path ends with its NUL.
            int addressLength = 2 + path.length + (abstractName ? 0 : 1);
            byte[] text = state.getBytes(StandardCharsets.UTF_8);
            MemorySegment message = arena.allocate(text.length);
            MemorySegment.copy(text, 0, message, ValueLayout.JAVA_BYTE, 0, text.length);
            int fd = (int) socketCall.invokeExact(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IllegalStateException("socket(AF_UNIX, SOCK_DGRAM) failed");
            }
            try {
                long sent = (long) sendto.invokeExact(fd, message, (long) text.length, 0, address, addressLength);
                if (sent != text.length) {
                    throw new IllegalStateException("sendto " + socket + " failed");
                }
            } finally {
                int ignored = (int) close.invokeExact(fd);
            }
        }
    }
}
