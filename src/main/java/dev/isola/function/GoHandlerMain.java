package dev.isola.function;

import dev.isola.IsolaException;
import dev.isola.host.FileTrees;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Go handler mode: the function's package exports {@code func Handle(http.ResponseWriter, *http.Request)} and Isola
 * supplies the {@code main} package, generated from the resource {@value #TEMPLATE} (the whole function contract).
 *
 * <p>The generated package goes into a directory {@value #DIR} of a copy of the sources, so it belongs to the
 * function's own module and imports the handler through the module path of its go.mod: no {@code replace}, no
 * workspace, nothing to download, and the deployer's directory is never written. The build itself is the server
 * mode's (jailed, offline, one static binary); only its package pattern differs.
 *
 * <p>Mistakes are reported at deploy as {@code build_failed} in the deployer's terms: a handler package named
 * {@code main} is found before compiling (naming the file), and a compile error on the generated line that names
 * the handler becomes "not found" or "wrong signature" instead of an error in code the deployer never wrote.
 */
final class GoHandlerMain {
    /** Inside the copy of the module; a deployer's directory of that name is refused rather than overwritten. */
    static final String DIR = "isola_handler_main";
    private static final String TEMPLATE = "handler-main.go.tmpl";
    private static final String SIGNATURE = "(http.ResponseWriter, *http.Request)";
    private static final int HEAD_BYTES = 64 * 1024;
    /** Import paths the generated source can quote as they are (Go's own rules are a subset of these). */
    private static final Pattern IMPORT_PATH = Pattern.compile("[A-Za-z0-9._~+-]+(/[A-Za-z0-9._~+-]+)*");
    /** One line of go.mod, matched whole: a pattern over the whole file went quadratic on a file of blank lines. */
    private static final Pattern MODULE_LINE = Pattern.compile("\\s*module\\s+\"?([^\"\\s/]\\S*?)\"?\\s*(//.*)?");
    /** go.mod files are a few hundred bytes; this one is read on the control plane, outside the build's jail. */
    static final int MAX_GO_MOD_BYTES = 64 * 1024;
    private static final Pattern GENERATED_ERROR = Pattern.compile("(?m)^" + DIR + "/main\\.go:\\d+:\\d+: (.*)$");

    private GoHandlerMain() {
    }

    /**
     * Checks the handler's package, copies {@code sources} (with its go.mod) into the empty {@code buildDir} and
     * writes the generated main there; returns the package pattern to build.
     *
     * @throws BuildFailedException if the package is {@code main}, has no Go files, or the module path is unusable
     */
    static String prepare(Manifest manifest, Path sources, Path buildDir) throws IOException {
        String handler = manifest.handler().orElseThrow();
        Path pkg = sources.resolve(manifest.entry());
        checkPackage(manifest, pkg);
        if (Files.exists(sources.resolve(DIR), LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("'" + DIR + "' is reserved in handler mode for the main package Isola "
                    + "generates; rename that directory");
        }
        String module = modulePath(sources.resolve("go.mod"));
        String importPath = manifest.entry().equals(".") ? module : module + "/" + manifest.entry();
        if (!IMPORT_PATH.matcher(importPath).matches()) {
            throw new BuildFailedException("handler " + handler + ": cannot import package '" + importPath
                    + "' (module path from go.mod, then entry): use letters, digits and . _ ~ + - / only");
        }
        FileTrees.copy(sources, buildDir, relative -> false);
        Path main = Files.createDirectories(buildDir.resolve(DIR)).resolve("main.go");
        Files.writeString(main, template().replace("__ISOLA_IMPORT__", importPath)
                .replace("__ISOLA_HANDLER__", handler));
        return "./" + DIR;
    }

    /** The deployer's words for a failed build whose first error is on the generated main; empty otherwise. */
    static Optional<String> explain(Manifest manifest, String output) {
        Matcher m = GENERATED_ERROR.matcher(output);
        if (!m.find()) {
            return Optional.empty();
        }
        String handler = manifest.handler().orElseThrow();
        String error = m.group(1).strip();
        String where = "package " + packageName(manifest);
        String expected = "expected func " + handler + SIGNATURE;
        if (error.startsWith("undefined:")) {
            return Optional.of("handler " + handler + " not found in " + where + " (" + expected + ")");
        }
        if (error.startsWith("cannot use")) {
            return Optional.of("handler " + handler + " in " + where + " has the wrong signature (" + expected
                    + "); go says: " + error);
        }
        if (error.contains("is a program, not an importable package")) {
            return Optional.of(where + " is package main; in handler mode it must be an importable package ("
                    + expected + "), Isola generates the main package");
        }
        return Optional.of("the main package Isola generates for handler " + handler + " in " + where
                + " did not compile: " + error);
    }

    /** {@code ./} or {@code ./cmd/fn}: how the deployer names the entry package. */
    static String packageName(Manifest manifest) {
        return manifest.entry().equals(".") ? "./" : "./" + manifest.entry();
    }

    /**
     * The generated main cannot import a {@code main} package. Go would say so only as "is a program, not an
     * importable package" on a file the deployer never wrote; this names their file. Files a {@code //go:build
     * ignore} keeps out of the package (generators, usually {@code package main}) do not count.
     */
    private static void checkPackage(Manifest manifest, Path pkg) throws IOException {
        if (!Files.isDirectory(pkg, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("handler " + manifest.handler().orElseThrow() + ": entry '"
                    + manifest.entry() + "' is not a directory of the archive");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(pkg)) {
            files = list.filter(p -> isPackageFile(p.getFileName().toString()))
                    .filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new BuildFailedException("handler " + manifest.handler().orElseThrow() + ": no Go files in package "
                    + packageName(manifest));
        }
        for (Path file : files) {
            Optional<String> clause = GoPackageClause.of(head(file));
            if (clause.isPresent() && clause.get().equals("main")) {
                String name = manifest.entry().equals(".") ? file.getFileName().toString()
                        : manifest.entry() + "/" + file.getFileName();
                throw new BuildFailedException(name + " declares package main, but in handler mode the package at "
                        + "entry '" + manifest.entry() + "' must be an importable package exporting func "
                        + manifest.handler().orElseThrow() + SIGNATURE + " (for example 'package handler'); "
                        + "Isola generates the main package");
            }
        }
    }

    /**
     * The file's first {@value #HEAD_BYTES} bytes, each byte one char: the clause follows at most a licence header,
     * and a file that is not UTF-8 is the compiler's to report, not a fault of the platform.
     */
    private static String head(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readNBytes(HEAD_BYTES), StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean isPackageFile(String name) {
        return name.endsWith(".go") && !name.endsWith("_test.go") && !name.startsWith(".") && !name.startsWith("_");
    }

    static String modulePath(Path goMod) throws IOException {
        if (!Files.isRegularFile(goMod, LinkOption.NOFOLLOW_LINKS)) {
            throw new BuildFailedException("go.mod is not a regular file; handler mode imports the handler's package "
                    + "through its module line");
        }
        String text;
        try (InputStream in = Files.newInputStream(goMod, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(MAX_GO_MOD_BYTES + 1);
            if (bytes.length > MAX_GO_MOD_BYTES) {
                throw new BuildFailedException("go.mod is larger than " + MAX_GO_MOD_BYTES + " bytes");
            }
            text = new String(bytes, StandardCharsets.ISO_8859_1);
        }
        for (String line : text.split("\\r?\\n", -1)) {
            Matcher m = MODULE_LINE.matcher(line);
            if (m.matches()) {
                return m.group(1);
            }
        }
        throw new BuildFailedException("go.mod has no module line; handler mode imports the handler's package "
                + "through it");
    }

    private static String template() {
        try (InputStream in = GoHandlerMain.class.getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IsolaException("Failed to read resource " + TEMPLATE + ": missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IsolaException("Failed to read resource " + TEMPLATE + ": " + e.getMessage(), e);
        }
    }
}
