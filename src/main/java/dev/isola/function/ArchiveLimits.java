package dev.isola.function;

/**
 * Bounds on what one uploaded archive may expand to. They are checked against bytes actually written, since a zip
 * bomb's declared sizes lie.
 *
 * @param maxTotalBytes sum of all extracted file contents
 * @param maxEntries    members of the archive, directories included
 * @param maxEntryBytes one extracted file
 */
public record ArchiveLimits(long maxTotalBytes, int maxEntries, long maxEntryBytes) {
    /**
     * 256 MiB holds the paper's 50 MiB static-file workload several times over plus a node_modules tree; 10,000
     * entries covers a modest node_modules; 128 MiB per file admits a large static binary.
     */
    public static final ArchiveLimits DEFAULT = new ArchiveLimits(256L << 20, 10_000, 128L << 20);

    public ArchiveLimits {
        if (maxTotalBytes < 1 || maxEntries < 1 || maxEntryBytes < 1) {
            throw new IllegalArgumentException("archive limits must be positive");
        }
    }
}
