package dev.isola.function;

import dev.isola.IsolaException;
import dev.isola.host.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * {@link FunctionService} over a state directory and a {@link FunctionStore}.
 *
 * <p>A deploy works in a private directory under {@code tmp/} (sources in {@code src/}, build output in
 * {@code rootfs/}), renames the finished root filesystem to {@code functions/<name>/v<N>} in one atomic move (same
 * file system), and only then inserts the row. So a row always points at a complete artefact; a crash can leave at
 * worst a directory without a row, which {@link #loadAll()} removes. Per-name locks serialise deploy and delete of
 * one name, so version numbers are not raced; the lock is held across the build, which is fine off the request path.
 */
final class LocalFunctionService implements FunctionService {
    private static final System.Logger LOG = System.getLogger(LocalFunctionService.class.getName());
    private static final String MANIFEST = "function.yaml";
    /**
     * Versions kept per function, the new one included: older rows and artefacts go at each deploy, so a function
     * deployed daily for a year does not hold 365 artefacts. Instances of an old version have been replaced long
     * before it is five deploys old.
     */
    static final int KEPT_VERSIONS = 5;

    private final Path functionsDir;
    private final Path tmpDir;
    private final FunctionStore store;
    private final FunctionBuilder builder;
    private final ArchiveLimits limits;
    private final DeployPolicy policy;
    private final InstantSource clock;
    private final ConcurrentHashMap<FunctionName, ReentrantLock> locks = new ConcurrentHashMap<>();

    LocalFunctionService(Path stateDir, FunctionStore store, FunctionBuilder builder, ArchiveLimits limits,
                         DeployPolicy policy, InstantSource clock) {
        Path state = stateDir.toAbsolutePath().normalize();
        this.functionsDir = state.resolve("functions");
        this.tmpDir = state.resolve("tmp");
        this.store = store;
        this.builder = builder;
        this.limits = limits;
        this.policy = policy;
        this.clock = clock;
        try {
            Files.createDirectories(functionsDir);
            // Whatever is in tmp/ belongs to deploys of an earlier run that never finished.
            FileTrees.deleteRecursively(tmpDir);
            Files.createDirectories(tmpDir);
        } catch (IOException e) {
            throw new IsolaException("Failed to prepare state directory " + state + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DeployResult deploy(FunctionName nameFromUrl, InputStream archive, boolean activate) {
        ReentrantLock lock = lockFor(nameFromUrl);
        lock.lock();
        try {
            return deployLocked(nameFromUrl, archive, activate);
        } finally {
            lock.unlock();
        }
    }

    private DeployResult deployLocked(FunctionName name, InputStream archive, boolean activate) {
        Path work = null;
        Path versionDir = null;
        boolean recorded = false;
        try {
            work = Files.createTempDirectory(tmpDir, name.value() + "-");
            Path sources = work.resolve("src");
            MessageDigest sha256 = sha256();
            // The extractor reads the upload to its end, so the digest covers every byte received.
            ArchiveExtractor.extract(new DigestInputStream(archive, sha256), sources, limits);
            String sourceSha256 = HexFormat.of().formatHex(sha256.digest());

            Path manifestFile = sources.resolve(MANIFEST);
            if (!Files.isRegularFile(manifestFile, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidFunctionException("invalid_manifest", "function.yaml not found at the archive root");
            }
            Manifest manifest = ManifestParser.parse(manifestFile);
            String manifestYaml = Files.readString(manifestFile);
            if (!manifest.name().equals(name)) {
                throw new InvalidFunctionException("name_mismatch", "function.yaml names '" + manifest.name()
                        + "' but the archive was deployed as '" + name + "'");
            }
            policy.check(manifest);

            boolean created = store.latest(name).isEmpty();
            int version = store.nextVersion(name);
            Artifact built = builder.build(manifest, sources, work.resolve("rootfs"));

            versionDir = versionDir(name, version);
            Files.createDirectories(versionDir.getParent());
            // No row names this version yet, so anything here is debris from a crash and safe to replace.
            FileTrees.deleteRecursively(versionDir);
            Files.move(built.root(), versionDir, StandardCopyOption.ATOMIC_MOVE);
            FileTrees.sync(versionDir); // before the row that points at it: a 201 survives a power loss
            Artifact artifact = new Artifact(built.runtime(), versionDir, built.argv());

            Instant deployedAt = clock.instant();
            store.insertVersion(new FunctionVersion(name, version, manifest.runtime().wireName(), manifestYaml,
                    sourceSha256, versionDir, artifact.argv(), deployedAt));
            recorded = true;
            boolean active = activate || created;
            if (active) {
                store.activate(name, version);
            }
            if (store.pruneVersions(name, KEPT_VERSIONS) > 0) {
                removeOrphanVersions(name, versionDir.getParent()); // with their backends' caches (v3.microvm)
            }
            LOG.log(Level.INFO, () -> "fn=" + name + " v=" + version + " deployed (" + manifest.runtime().wireName()
                    + ", sha256 " + sourceSha256.substring(0, 12) + ")");
            return new DeployResult(new DeployedFunction(manifest, version, artifact, sourceSha256, deployedAt),
                    created, active);
        } catch (IOException e) {
            throw new IsolaException("Failed to deploy function " + name + ": " + e.getMessage(), e);
        } finally {
            if (!recorded && versionDir != null) {
                deleteQuietly(versionDir);
            }
            if (work != null) {
                deleteQuietly(work);
            }
        }
    }

    @Override
    public Optional<DeployedFunction> current(FunctionName name) {
        return store.active(name).map(this::restore);
    }

    @Override
    public List<DeployedFunction> list() {
        return restoreAll(store.activeOfEach());
    }

    @Override
    public Optional<DeployedFunction> activate(FunctionName name, OptionalInt version) {
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            if (store.active(name).isEmpty()) {
                return Optional.empty();
            }
            int target = version.isPresent() ? version.getAsInt() : previous(name).orElseThrow(() ->
                    new InvalidFunctionException("version_not_found", "Function '" + name + "' has no previous "
                            + "version to roll back to"));
            if (!store.activate(name, target)) {
                throw new InvalidFunctionException("version_not_found", "Function '" + name + "' has no version "
                        + target + " (stored: " + storedVersions(name) + ")");
            }
            LOG.log(Level.INFO, () -> "fn=" + name + " v=" + target + " activated");
            return store.active(name).map(this::restore);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<TrafficShare> split(FunctionName name, Map<Integer, Integer> weights) {
        Map<Integer, Integer> routed = new TreeMap<>();
        weights.forEach((version, weight) -> {
            if (weight < 0 || weight > 100) {
                throw new InvalidFunctionException("invalid_parameter", "The weight of version " + version
                        + " must be a percentage (0 to 100), not " + weight);
            }
            if (weight > 0) {
                routed.put(version, weight);
            }
        });
        int total = routed.values().stream().mapToInt(Integer::intValue).sum();
        if (total != 100) {
            throw new InvalidFunctionException("invalid_parameter", "The weights must add up to 100, not " + total);
        }
        // The largest share is the active version; among equals the newest.
        int primary = routed.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).orElseThrow().getKey();
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            if (store.active(name).isEmpty()) {
                return List.of();
            }
            Set<Integer> stored = store.versions(name).stream().map(FunctionVersion::version)
                    .collect(Collectors.toSet());
            for (int version : routed.keySet()) {
                if (!stored.contains(version)) {
                    throw new InvalidFunctionException("version_not_found", "Function '" + name + "' has no version "
                            + version + " (stored: " + storedVersions(name) + ")");
                }
            }
            store.split(name, primary, routed.size() == 1 ? Map.of() : routed);
            LOG.log(Level.INFO, () -> "fn=" + name + " traffic " + routed);
            return routing(name);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<TrafficShare> routing(FunctionName name) {
        Map<Integer, Integer> weights = store.traffic(name);
        if (weights.isEmpty()) {
            return store.active(name).map(row -> List.of(new TrafficShare(restore(row), 100))).orElse(List.of());
        }
        return store.versions(name).stream().filter(row -> weights.containsKey(row.version()))
                .map(row -> new TrafficShare(restore(row), weights.get(row.version()))).toList();
    }

    private String storedVersions(FunctionName name) {
        return store.versions(name).stream().map(v -> "v" + v.version()).collect(Collectors.joining(", "));
    }

    @Override
    public OptionalInt previous(FunctionName name) {
        return store.previous(name).map(v -> OptionalInt.of(v.version())).orElse(OptionalInt.empty());
    }

    @Override
    public List<FunctionVersion> versions(FunctionName name) {
        return store.versions(name);
    }

    @Override
    public boolean delete(FunctionName name) {
        ReentrantLock lock = lockFor(name);
        lock.lock();
        try {
            // Row first: a crash in between leaves only files without a row, which loadAll() removes.
            boolean existed = store.deleteFunction(name);
            FileTrees.deleteRecursively(functionsDir.resolve(name.value()));
            if (existed) {
                LOG.log(Level.INFO, "fn=" + name + " deleted");
            }
            return existed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<DeployedFunction> loadAll() {
        removeOrphans();
        List<FunctionVersion> present = new ArrayList<>();
        for (FunctionVersion row : store.activeOfEach()) {
            Path root = versionDir(row.name(), row.version());
            if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                present.add(row);
            } else {
                LOG.log(Level.WARNING, "fn=" + row.name() + " v=" + row.version() + " not restored: artefact " + root
                        + " is missing");
            }
        }
        return restoreAll(present);
    }

    private List<DeployedFunction> restoreAll(List<FunctionVersion> rows) {
        List<DeployedFunction> functions = new ArrayList<>();
        for (FunctionVersion row : rows) {
            try {
                functions.add(restore(row));
            } catch (IsolaException e) {
                LOG.log(Level.WARNING, "fn=" + row.name() + " v=" + row.version() + " skipped: " + e.getMessage());
            }
        }
        return List.copyOf(functions);
    }

    /**
     * The artefact root comes from the layout, not from the row's absolute path, so a state directory that was
     * moved or is reached through another path still loads.
     */
    private DeployedFunction restore(FunctionVersion row) {
        Manifest manifest;
        try {
            manifest = ManifestParser.parse(row.manifestYaml());
        } catch (InvalidFunctionException e) {
            throw new IsolaException("Failed to load function " + row.name() + " v" + row.version()
                    + ": stored manifest no longer parses: " + e.getMessage(), e);
        }
        Artifact artifact = new Artifact(manifest.runtime(), versionDir(row.name(), row.version()), row.argv());
        return new DeployedFunction(manifest, row.version(), artifact, row.sourceSha256(), row.deployedAt());
    }

    /** Deletes version directories no row refers to, and function directories left empty by that. */
    private void removeOrphans() {
        try (DirectoryStream<Path> functionDirs = Files.newDirectoryStream(functionsDir)) {
            for (Path functionDir : functionDirs) {
                Optional<FunctionName> name = parseName(functionDir.getFileName().toString());
                if (name.isEmpty() || !Files.isDirectory(functionDir, LinkOption.NOFOLLOW_LINKS)) {
                    LOG.log(Level.WARNING, "state: ignoring unexpected entry " + functionDir);
                    continue;
                }
                ReentrantLock lock = lockFor(name.get());
                lock.lock();
                try {
                    removeOrphanVersions(name.get(), functionDir);
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            throw new IsolaException("Failed to scan " + functionsDir + ": " + e.getMessage(), e);
        }
    }

    private void removeOrphanVersions(FunctionName name, Path functionDir) throws IOException {
        // Compared by directory name, never by stored absolute path, for the same reason as in restore().
        Set<String> referenced = store.versions(name).stream().map(row -> "v" + row.version())
                .collect(Collectors.toSet());
        try (DirectoryStream<Path> versionDirs = Files.newDirectoryStream(functionDir)) {
            for (Path versionDir : versionDirs) {
                // "v3.microvm" and the like: a backend's cache of version 3, which lives and dies with it.
                String version = versionDir.getFileName().toString().split("\\.", 2)[0];
                if (!referenced.contains(version)) {
                    LOG.log(Level.INFO, "fn=" + name + " removing unreferenced artefact " + versionDir.getFileName());
                    FileTrees.deleteRecursively(versionDir);
                }
            }
        }
        try (DirectoryStream<Path> rest = Files.newDirectoryStream(functionDir)) {
            if (!rest.iterator().hasNext()) {
                Files.delete(functionDir);
            }
        }
    }

    private Path versionDir(FunctionName name, int version) {
        return functionsDir.resolve(name.value()).resolve("v" + version);
    }

    private static Optional<FunctionName> parseName(String value) {
        try {
            return Optional.of(FunctionName.of(value));
        } catch (InvalidFunctionException e) {
            return Optional.empty();
        }
    }

    private ReentrantLock lockFor(FunctionName name) {
        // One small lock per name ever seen; names are bounded by what operators deploy, so they are not evicted.
        return locks.computeIfAbsent(name, n -> new ReentrantLock());
    }

    /** Cleanup after a failure must not mask that failure; a leftover is logged and reaped at the next start. */
    private static void deleteQuietly(Path path) {
        try {
            FileTrees.deleteRecursively(path);
        } catch (IsolaException e) {
            LOG.log(Level.WARNING, "state: could not remove " + path + ": " + e.getMessage());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IsolaException("Failed to create SHA-256 digest: " + e.getMessage(), e);
        }
    }
}
