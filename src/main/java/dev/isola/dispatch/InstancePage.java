package dev.isola.dispatch;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * One page of the live instances, ordered by id.
 *
 * @param instances at most the page's limit, ids ascending
 * @param more      whether instances with larger ids follow
 */
public record InstancePage(List<InstanceView> instances, boolean more) {

    /**
     * Gathers a page while the pools are walked, each in id order from {@link #after}: an instance's id is compared
     * first ({@link #wants}) and its view is built only while it may still be on the page, so that a page costs
     * about its own size in each pool, not a view (and its endpoint text) of each instance on the node.
     */
    static final class Collector {
        private static final Comparator<InstanceView> BY_ID = Comparator.comparing(InstanceView::id);

        private final String after;
        private final int limit;
        /** The page so far, the largest id on top, so that a smaller one replaces it. */
        private final PriorityQueue<InstanceView> page = new PriorityQueue<>(BY_ID.reversed());
        private boolean more;

        /** A page of at most {@code limit} instances with ids after {@code after} ("" for the first page). */
        Collector(String after, int limit) {
            if (limit < 1) {
                throw new IllegalArgumentException("a page holds at least one instance: " + limit);
            }
            this.after = after;
            this.limit = limit;
        }

        String after() {
            return after;
        }

        /** Whether the instance {@code id} belongs on the page as it stands; if so, {@link #add} its view. */
        boolean wants(String id) {
            if (id.compareTo(after) <= 0) {
                return false;
            }
            if (page.size() < limit) {
                return true;
            }
            more = true;
            return id.compareTo(page.peek().id()) < 0;
        }

        /** Adds a view that {@link #wants} took, pushing the largest id off a full page. */
        void add(InstanceView view) {
            page.add(view);
            if (page.size() > limit) {
                page.poll();
            }
        }

        InstancePage page() {
            List<InstanceView> sorted = new ArrayList<>(page);
            sorted.sort(BY_ID);
            return new InstancePage(List.copyOf(sorted), more);
        }
    }
}
