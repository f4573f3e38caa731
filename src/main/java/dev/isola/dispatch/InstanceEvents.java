package dev.isola.dispatch;

/**
 * What the dispatcher tells the gateway about instances, given at construction: the gateway drops its pooled
 * connections to instances that are going away. Called on dispatcher threads; implementations must not block.
 */
public interface InstanceEvents {
    /** The instance was taken out of service and is about to be stopped. */
    void retired(String instanceId);

    /**
     * The sandbox of an instance with a network stack of its own has exited
     * ({@link dev.isola.sandbox.spi.Instance#onExit}): its connections will never be answered.
     */
    void exited(String instanceId);

    InstanceEvents NONE = new InstanceEvents() {
        @Override
        public void retired(String instanceId) {
        }

        @Override
        public void exited(String instanceId) {
        }
    };
}
