package dev.isola.sandbox.spi;

/** Receives the console output of one instance, line by line. Implementations bound what they keep. */
public interface OutputSink {
    void line(String text);

    OutputSink DISCARD = text -> { };
}
