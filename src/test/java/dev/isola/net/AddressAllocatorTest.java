package dev.isola.net;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AddressAllocatorTest {
    @Test
    void allocate_skipsNetworkGatewayAndBroadcast_andNeverRepeatsLiveAddresses() {
        AddressAllocator allocator = new AddressAllocator("10.9.0.0/29");
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
        AddressAllocator allocator = new AddressAllocator("10.9.0.0/29");
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
            firsts.add(new AddressAllocator("10.200.0.0/16").allocate().getHostAddress());
        }
        assertThat(firsts).as("a restarted platform does not reuse the previous run's first addresses")
                .hasSizeGreaterThan(1);
    }
}
