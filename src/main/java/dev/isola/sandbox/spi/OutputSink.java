package dev.isola.sandbox.spi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/** Receives the console output of one instance, line by line. Implementations bound what they keep. */
public interface OutputSink {
    void line(String text);

    OutputSink DISCARD = text -> { };

    /**
     * Copies {@code output} line by line into this sink on a virtual thread until the stream ends (the sandbox's
     * process exited or was killed); providers join the returned thread when they stop the instance.
     */
    default Thread pump(InputStream output, String instanceId) {
        return Thread.ofVirtual().name("output-" + instanceId).start(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    line(line);
                }
            } catch (IOException e) {
                // The stream closes when the sandbox dies or is killed; nothing to report.
            }
        });
    }
}
