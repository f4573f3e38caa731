package dev.isola.async;

/** One HTTP header field of a stored request or result, in the order it came. */
public record Header(String name, String value) {
}
