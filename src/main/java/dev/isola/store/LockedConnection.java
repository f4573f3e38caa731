package dev.isola.store;

import dev.isola.host.IdlePriority;
import dev.isola.host.PrivateFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;

/**
 * One SQLite connection in WAL mode, used under a lock: a JDBC connection is not thread-safe, SQLite serialises
 * writers anyway, and the statements are short. Faults become {@link StoreException}s naming what failed.
 */
final class LockedConnection implements AutoCloseable {
    /** Long enough to ride out another connection's checkpoint; a stuck lock then surfaces as a StoreException. */
    private static final int BUSY_TIMEOUT_MILLIS = 5_000;

    @FunctionalInterface
    interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    @FunctionalInterface
    interface SqlAction {
        void run() throws SQLException;
    }

    private final Path file;
    private final Connection connection;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean closed;

    private LockedConnection(Path file, Connection connection) {
        this.file = file;
        this.connection = connection;
    }

    /**
     * Opens {@code file}, creating it if needed, owner-only: it holds manifests with their {@code env}. SQLite gives
     * its {@code -wal} and {@code -shm} files the database's mode when it makes them; older ones are narrowed here.
     * NORMAL is crash-safe in WAL mode; only a power loss may cost the last commits.
     */
    static LockedConnection open(Path file) throws SQLException {
        try {
            PrivateFiles.ensure(file);
            for (String suffix : new String[] {"-wal", "-shm"}) {
                Path companion = file.resolveSibling(file.getFileName() + suffix);
                if (Files.exists(companion)) {
                    PrivateFiles.ensure(companion);
                }
            }
        } catch (IOException e) {
            throw new SQLException("Failed to make " + file + " owner-only: " + e.getMessage(), e);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
        Connection connection = config.createConnection("jdbc:sqlite:" + file);
        ExtractedSqliteLibrary.unlinkOnce();
        return new LockedConnection(file, connection);
    }

    /**
     * Runs {@code work} on the connection under the lock. The invocation writer, under {@link IdlePriority}, holds it
     * at normal priority ({@link IdlePriority#raisedWhile}): an admin read or a deploy waiting for that lock would
     * otherwise wait as long as the CPUs stay busy.
     */
    <T> T with(String what, SqlWork<T> work) {
        return IdlePriority.raisedWhile(() -> locked(what, work));
    }

    private <T> T locked(String what, SqlWork<T> work) {
        lock.lock();
        try {
            if (closed) {
                throw new StoreException("Failed to " + what + ": store " + file + " is closed");
            }
            return work.apply(connection);
        } catch (SQLException e) {
            throw new StoreException("Failed to " + what + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** One transaction synced to the disk before it returns, whatever the connection's usual synchronous mode. */
    static Void durably(Connection c, SqlAction action) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("PRAGMA synchronous = FULL");
            try {
                return inTransaction(c, action);
            } finally {
                st.execute("PRAGMA synchronous = NORMAL");
            }
        }
    }

    static Void inTransaction(Connection c, SqlAction action) throws SQLException {
        c.setAutoCommit(false);
        try {
            action.run();
            c.commit();
            return null;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                connection.close();
            }
        } catch (SQLException e) {
            throw new StoreException("Failed to close store " + file + ": " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }
}
