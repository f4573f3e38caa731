package dev.isola.bench.report;

import dev.isola.bench.result.GroupKey;

import java.util.Locale;
import java.util.Optional;

/**
 * Why a figure of ours differs from the paper's, in one line per main-table row: the maintained list of known
 * causes, most specific first. The paper ran Docker (runc, runsc) and Firecracker with KVM on an 8-thread Intel NUC;
 * Isola drives the runtimes directly and runs QEMU's microvm machine, here often without KVM.
 */
final class KnownCauses {
    static final String HARDWARE = "other hardware: the paper's NUC (i5-1135G7, 8 threads) against this host";
    static final String TCG = "QEMU under TCG (software emulation, no KVM here); the paper's microVMs ran "
            + "Firecracker with KVM";
    static final String QEMU = "QEMU's microvm machine here; the paper's Linux microVM was Firecracker";
    static final String DOCKER = "the runtime driven directly here; the paper started containers through Docker "
            + "(dockerd, containerd, shim)";
    static final String QUICK = "Quick profile: tiny sizes and few repetitions, a smoke test rather than a "
            + "measurement";
    static final String NO_PAPER = "no counterpart in the paper";
    static final String NO_PYTHON = "the paper measured Go and Node.js only";
    static final String FAST = "a standby sandbox or a clone against the paper's cold start, which had neither";
    static final String WARM = "a running instance against the paper's cold start";

    private KnownCauses() {
    }

    /** The main cause for the row of {@code key}, given the paper's value (if any) and how the run was made. */
    static String of(GroupKey key, Optional<PaperValue> paper, RunMetadata meta) {
        if (PaperValue.UNMEASURED_RUNTIMES.contains(key.runtime())) {
            return NO_PYTHON;
        }
        if (key.experiment().equals("fast-start") && !key.variant().equals("cold") && paper.isPresent()) {
            return key.variant().equals("warm") ? WARM : FAST;
        }
        return paper.isEmpty() ? NO_PAPER : switch (key.backend()) {
            case "microvm" -> meta.accelerator().map(a -> a.toLowerCase(Locale.ROOT).contains("tcg"))
                    .orElse(false) ? TCG : QEMU;
            case "runc", "crun", "runsc" -> DOCKER;
            default -> HARDWARE;
        };
    }
}
