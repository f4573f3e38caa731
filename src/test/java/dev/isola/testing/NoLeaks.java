package dev.isola.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * After each test of the class, and after the class, nothing of Isola's may be left ({@link Leaks}): for a test class
 * that starts sandboxes, runtimes, networks or processes itself. A class with a test server gets the same check from
 * {@link IsolaServerExtension}, which knows what the server may keep between tests; do not combine the two.
 *
 * <pre>{@code
 * @NoLeaks                          // everything: under sandbox/ and net/, run under the shared sandbox lock
 * @NoLeaks(Leaks.Scope.PROCESSES)   // child processes only: for tests that start processes but touch no host network
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(NoLeaksExtension.class)
public @interface NoLeaks {
    Leaks.Scope value() default Leaks.Scope.HOST;
}
