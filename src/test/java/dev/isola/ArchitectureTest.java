package dev.isola;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Keeps the seams of DESIGN.md: the gateway reaches sandboxes only through the dispatcher. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.isola");

    @Test
    void gateway_doesNotImportSandboxes() {
        noClasses().that().resideInAPackage("dev.isola.gateway..")
                .should().dependOnClassesThat().resideInAPackage("dev.isola.sandbox..")
                .check(CLASSES);
    }

    @Test
    void sandboxes_doNotImportGatewayOrDispatcher() {
        noClasses().that().resideInAPackage("dev.isola.sandbox..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.isola.gateway..", "dev.isola.dispatch..")
                .check(CLASSES);
    }
}
