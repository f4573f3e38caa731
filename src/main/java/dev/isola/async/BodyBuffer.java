package dev.isola.async;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory the edge may spend on asynchronous request bodies, all connections together: a submission's body is
 * held whole until its call is stored (a synchronous body only streams through), so without a bound a few hundred
 * callers each sending a large body at once could take the heap. Bytes are held as they arrive and freed once the
 * call is stored or refused; a piece that would pass the bound is refused instead, and that call with it.
 */
public final class BodyBuffer {
    private final long capacity;
    private final AtomicLong held = new AtomicLong();

    BodyBuffer(long capacity) {
        this.capacity = capacity;
    }

    /** Holds {@code bytes} more, unless that would pass the bound; then nothing is held. */
    public boolean hold(long bytes) {
        while (true) {
            long now = held.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    public void free(long bytes) {
        held.addAndGet(-bytes);
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes held now. */
    public long held() {
        return held.get();
    }
}
