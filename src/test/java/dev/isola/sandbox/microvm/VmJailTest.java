package dev.isola.sandbox.microvm;

import dev.isola.config.ConfigException;
import dev.isola.sandbox.spi.SandboxException;
import dev.isola.testing.TestHost;
import dev.isola.sandbox.spi.SandboxUids;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The VM uids ({@link SandboxUids}) and QEMU's jail options ({@link VmJail}); the real jail is in MicrovmContractTest. */
class VmJailTest {
    @Test
    void acquire_liveVmsNeverShareAUid_andAReleasedOneIsFreeAgain() {
        SandboxUids uids = new SandboxUids(200_000, 4, "sandbox.microvm.uidBase");
        Set<Integer> held = new HashSet<>();
        for (String id : new String[] {"fn.a", "fn.a", "fn.b", "fn.c"}) {
            held.add(uids.acquire(id));
        }
        assertThat(held).containsExactlyInAnyOrder(200_000, 200_001, 200_002, 200_003);
        assertThatThrownBy(() -> uids.acquire("fn.d")).isInstanceOf(SandboxException.class)
                .hasMessageContaining("all 4 ids").hasMessageContaining("uidBase");

        uids.release(200_002);
        assertThat(uids.acquire("fn.d")).isEqualTo(200_002);
        assertThat(uids.held()).isEqualTo(4);
    }

    @Test
    void acquire_isDerivedFromTheInstanceWhileItsIdIsFree() {
        SandboxUids uids = new SandboxUids(300_000, 65_536, "sandbox.microvm.uidBase");
        int first = uids.acquire("fn.7f3a9c");
        uids.release(first);
        assertThat(uids.acquire("fn.7f3a9c")).isEqualTo(first).isBetween(300_000, 365_535);
    }

    @Test
    void hostCollision_namesTheUserGroupOrSubordinateRangeInside(@TempDir Path etc) throws Exception {
        SandboxUids uids = new SandboxUids(200_000, 1000, "sandbox.microvm.uidBase");
        Files.writeString(etc.resolve("passwd"), "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/a:/bin/sh\n");
        Files.writeString(etc.resolve("group"), "root:x:0:\n");
        assertThat(uids.hostCollision(etc)).isEmpty();

        Files.writeString(etc.resolve("subuid"), "alice:100000:65536\nbob:165536:65536\n");
        assertThat(uids.hostCollision(etc)).hasValueSatisfying(s -> assertThat(s).contains("bob", "subuid"));

        Files.delete(etc.resolve("subuid"));
        Files.writeString(etc.resolve("group"), "vms:x:200999:\n");
        assertThat(uids.hostCollision(etc)).hasValueSatisfying(s -> assertThat(s).contains("200999", "vms"));
    }

    @ParameterizedTest
    @CsvSource({"uidBase, 0", "uidBase, 1000", "uidBase, 2000000001", "uidBase, x", "uidCount, 0",
            "uidCount, -3"})
    void uidRange_outOfBounds_failsNamingTheKey(String key, String value, @TempDir Path state) {
        assertThatThrownBy(() -> TestHost.backend("microvm", state, Map.of(key, value)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sandbox.microvm." + key + "'")
                .hasMessageContaining(value);
    }

    @Test
    void qemuArgs_chrootRunAsTheVmsIdsAndFilterSystemCalls(@TempDir Path work) throws Exception {
        VmJail jail = VmJail.prepare(work, 200_017);

        assertThat(jail.qemuArgs()).containsSequence("-runas", "200017:200017")
                .containsSequence("-chroot", work.resolve("jail").toString())
                .containsSequence("-sandbox", "on,obsolete=deny,spawn=deny,resourcecontrol=deny");
        assertThat(jail.root()).isEmptyDirectory();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(jail.root()))).isEqualTo("r-x------");
        assertThatThrownBy(() -> new VmJail(0, work)).isInstanceOf(IllegalArgumentException.class);
    }
}
