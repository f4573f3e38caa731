package dev.isola;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import dev.isola.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.io.File;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The architecture as rules. Layers, top to bottom (each may use only what its line names, besides the root
 * package's {@link IsolaException} and {@link Ticker}):
 * <pre>
 * cli       → server, bench, config, function           (a client of a server over HTTP; serve/up/bench assemble one)
 * bench     → server, config, host
 * server    → admin, gateway, dispatch, sandbox SPI, net, store, function, logs, metrics, config, host
 * admin     → api, dispatch, function, store, logs, metrics
 * gateway   → api, dispatch, function, store, metrics
 * dispatch  → sandbox SPI, function, logs, metrics, host
 * backends  → sandbox SPI, net, function, config, host   (process, oci, microvm: found by ServiceLoader, used by none)
 * logs      → sandbox SPI, function, host
 * SPI       → net, function, config, host
 * store     → async, function, host
 * net       → config, host
 * function  → host
 * api, metrics, config → host (config only)
 * host      → nothing of Isola's
 * </pre>
 */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.isola");

    @Test
    void packages_areFreeOfCycles() {
        slices().matching("dev.isola.(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void layers_useOnlyTheLayersBelowThemThatTheyName() {
        Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Root").definedBy("dev.isola")
                .layer("Cli").definedBy("dev.isola.cli..")
                .layer("Bench").definedBy("dev.isola.bench..")
                .layer("Server").definedBy("dev.isola.server..")
                .layer("Admin").definedBy("dev.isola.admin..")
                .layer("Gateway").definedBy("dev.isola.gateway..")
                .layer("Api").definedBy("dev.isola.api..")
                .layer("Dispatch").definedBy("dev.isola.dispatch..")
                .layer("Async").definedBy("dev.isola.async..")
                .layer("Backends").definedBy("dev.isola.sandbox.process..", "dev.isola.sandbox.oci..",
                        "dev.isola.sandbox.microvm..")
                .layer("Spi").definedBy("dev.isola.sandbox.spi..")
                .layer("Logs").definedBy("dev.isola.logs..")
                .layer("Metrics").definedBy("dev.isola.metrics..")
                .layer("Store").definedBy("dev.isola.store..")
                .layer("Function").definedBy("dev.isola.function..")
                .layer("Net").definedBy("dev.isola.net..")
                .layer("Config").definedBy("dev.isola.config..")
                .layer("Host").definedBy("dev.isola.host..")
                // Host: `isola service` runs systemctl through the host package's deadline runner.
                .whereLayer("Cli").mayOnlyAccessLayers("Server", "Bench", "Config", "Function", "Host", "Root")
                .whereLayer("Bench").mayOnlyAccessLayers("Server", "Config", "Host", "Root")
                .whereLayer("Server").mayOnlyAccessLayers("Admin", "Gateway", "Dispatch", "Async", "Spi", "Net", "Store",
                        "Function", "Logs", "Metrics", "Config", "Host", "Root")
                .whereLayer("Admin").mayOnlyAccessLayers("Api", "Dispatch", "Async", "Function", "Store", "Logs", "Metrics",
                        "Root")
                .whereLayer("Gateway").mayOnlyAccessLayers("Api", "Dispatch", "Async", "Function", "Store", "Metrics",
                        "Root")
                .whereLayer("Async").mayOnlyAccessLayers("Function", "Metrics", "Config", "Root")
                .whereLayer("Dispatch").mayOnlyAccessLayers("Spi", "Function", "Logs", "Metrics", "Host", "Root")
                .whereLayer("Backends").mayOnlyAccessLayers("Spi", "Net", "Function", "Config", "Host", "Root")
                .whereLayer("Backends").mayNotBeAccessedByAnyLayer()
                .whereLayer("Logs").mayOnlyAccessLayers("Spi", "Function", "Host", "Root")
                .whereLayer("Spi").mayOnlyAccessLayers("Net", "Function", "Config", "Host", "Root")
                .whereLayer("Store").mayOnlyAccessLayers("Async", "Function", "Host", "Root")
                .whereLayer("Net").mayOnlyAccessLayers("Config", "Host", "Root")
                .whereLayer("Function").mayOnlyAccessLayers("Host", "Root")
                .whereLayer("Api").mayOnlyAccessLayers("Root")
                .whereLayer("Metrics").mayOnlyAccessLayers("Root")
                .whereLayer("Config").mayOnlyAccessLayers("Host", "Root")
                .whereLayer("Host").mayOnlyAccessLayers("Root")
                .check(CLASSES);
    }

    @Test
    void onlyTheHostPackage_startsProcessesOrDeletesFiles() {
        noClasses().that().resideOutsideOfPackage("dev.isola.host..")
                .should().callMethod(ProcessBuilder.class, "start")
                .orShould().callMethod(Runtime.class, "exec", String.class)
                .orShould().callMethod(Runtime.class, "exec", String[].class)
                .orShould().callMethod(File.class, "delete")
                .because("the host package runs every program with a deadline and deletes trees without following "
                        + "links (STYLE rules 24-25)")
                .check(CLASSES);
    }

    @Test
    void onlyTheConfigurationLoader_readsTheEnvironment() {
        noClasses().that().doNotHaveFullyQualifiedName(ConfigLoader.class.getName())
                .should().callMethod(System.class, "getenv")
                .orShould().callMethod(System.class, "getenv", String.class)
                .because("configuration has one path: file, then ISOLA_* variables, then flags (STYLE rule 12)")
                .check(CLASSES);
    }
}
