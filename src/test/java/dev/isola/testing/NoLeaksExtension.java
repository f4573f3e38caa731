package dev.isola.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The check behind {@link NoLeaks}. It runs after the class's own {@code @AfterEach}/{@code @AfterAll} methods (an
 * extension wraps them), so what a test cleans up there is gone by then.
 */
public final class NoLeaksExtension implements AfterEachCallback, AfterAllCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        Leaks.assertNone(scope(context));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Leaks.assertNone(scope(context));
    }

    private static Leaks.Scope scope(ExtensionContext context) {
        return AnnotationSupport.findAnnotation(context.getRequiredTestClass(), NoLeaks.class)
                .map(NoLeaks::value).orElse(Leaks.Scope.HOST);
    }
}
