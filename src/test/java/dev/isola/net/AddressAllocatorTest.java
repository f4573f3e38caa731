package dev.isola.net;

import dev.isola.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AddressAllocatorTest {
    @TempDir
    Path dir;
    private final List<AddressAllocator> allocators = new ArrayList<>();

    @AfterEach
    void closeAllocators() {
        allocators.forEach(AddressAllocator::close);
    }

    private AddressAllocator allocator(String cidr) {
        AddressAllocator allocator = new AddressAllocator(cidr, HostClaims.at(dir.resolve("claims")));
        allocators.add(allocator);
        return allocator;
    }

    @Test
    void allocate_skipsNetworkGatewayAndBroadcast_andNeverRepeatsLiveAddresses() {
        AddressAllocator allocator = allocator("10.9.0.0/29");
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            seen.add(allocator.allocate().getHostAddress());
        }
        assertThat(seen).containsExactlyInAnyOrder("10.9.0.2", "10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6");
        assertThat(allocator.gateway().getHostAddress()).isEqualTo("10.9.0.1");
        assertThatThrownBy(allocator::allocate).hasMessageContaining("all 5 are in use");
    }

    @Test
    void release_addressIsReusedOnlyAfterTheOthers() throws Exception {
        AddressAllocator allocator = allocator("10.9.0.0/29");
        InetAddress first = allocator.allocate();
        allocator.release(first);
        assertThat(allocator.allocate()).isNotEqualTo(first);
        for (int i = 0; i < 3; i++) {
            allocator.allocate();
        }
        assertThat(allocator.allocate()).as("wraps around to the released one").isEqualTo(first);
    }

    @Test
    void newAllocators_startAtRandomPlaces() {
        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            firsts.add(allocator("10.200.0.0/16").allocate().getHostAddress());
        }
        assertThat(firsts).as("a restarted platform does not reuse the previous run's first addresses")
                .hasSizeGreaterThan(1);
    }

    /** Two Isolas on one host share the bridge and the subnet: never the same address at once. */
    @Test
    void twoAllocatorsOfOneHost_neverHandOutTheSameAddress_andAReleasedOneGoesToEither() {
        AddressAllocator one = allocator("10.9.0.0/29");
        AddressAllocator other = allocator("10.9.0.0/29");
        Set<InetAddress> seen = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            assertThat(seen.add((i % 2 == 0 ? one : other).allocate())).as("a fresh address").isTrue();
        }
        assertThatThrownBy(one::allocate).hasMessageContaining("all 5 are in use")
                .hasMessageContaining("by another Isola on this host");

        InetAddress released = seen.iterator().next();
        (one.isAllocated(released) ? one : other).release(released);

        assertThat(other.allocate()).isEqualTo(released);
    }

    @Test
    void anAllocatorClosed_givesUpItsClaims() {
        AddressAllocator one = allocator("10.9.0.0/29");
        AddressAllocator other = allocator("10.9.0.0/29");
        for (int i = 0; i < 5; i++) {
            one.allocate();
        }
        one.close();

        for (int i = 0; i < 5; i++) {
            other.allocate();
        }
    }

    /**
     * Claims are record locks of the process: another process's claim (here Python's, on address number 2 and 3)
     * is skipped while it lives, and free once it exits, as after a crash.
     */
    @Test
    void anAddressClaimedByAnotherProcess_isSkipped_untilThatProcessExits() throws Exception {
        Path file = dir.resolve("claims");
        Process holder = new ProcessBuilder("python3", "-c", """
                import fcntl, sys
                f = open(sys.argv[1], "a+")
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 2, 2)
                print("held", flush=True)
                sys.stdin.read()
                """, file.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("held");
            AddressAllocator allocator = allocator("10.9.0.0/29");
            Set<String> got = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                got.add(allocator.allocate().getHostAddress());
            }
            assertThat(got).containsExactlyInAnyOrder("10.9.0.4", "10.9.0.5", "10.9.0.6");
            assertThatThrownBy(allocator::allocate).hasMessageContaining("2 by another Isola on this host");

            holder.getOutputStream().close(); // it reads to the end, and exits
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            Await.until(Duration.ofSeconds(5), () -> {
                try {
                    got.add(allocator.allocate().getHostAddress());
                    return got.size() == 5;
                } catch (NetworkException e) {
                    return false;
                }
            }, "the exited process's claims to be free");
            assertThat(got).contains("10.9.0.2", "10.9.0.3");
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }
}
