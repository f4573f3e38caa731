package dev.isola.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/** Runs {@code isola} in-process exactly as {@code main} would, capturing exit code, stdout, stderr and raw bytes. */
final class IsolaCli {
    record Result(int exitCode, String out, String err, byte[] rawOut) {
        String rawOutText() {
            return new String(rawOut, StandardCharsets.UTF_8);
        }
    }

    private IsolaCli() {
    }

    static Result run(String... args) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintWriter outWriter = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter errWriter = new PrintWriter(err, true, StandardCharsets.UTF_8);
        int exit = new CommandLine(new IsolaCommand(raw)).setOut(outWriter).setErr(errWriter).execute(args);
        outWriter.flush();
        errWriter.flush();
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                raw.toByteArray());
    }
}
