package dev.isola.host;

/**
 * How a {@link Command} ended.
 *
 * @param exitCode the exit status, or -1 when it was killed at its deadline
 * @param output   its combined stdout and stderr, trimmed, up to the command's output limit
 */
public record CommandResult(int exitCode, boolean timedOut, String output) {
    public boolean succeeded() {
        return !timedOut && exitCode == 0;
    }
}
