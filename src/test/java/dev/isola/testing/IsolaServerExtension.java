package dev.isola.testing;

import dev.isola.config.IsolaConfig;
import dev.isola.sandbox.spi.Availability;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The one way a test class gets a real server: one {@link TestIsola} per class, started before its first test,
 * stopped after its last, its state directory deleted, and {@link Leaks} checked after each test and after the class.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final IsolaServerExtension SERVER = IsolaServerExtension.onBackend("process").withProbe();
 *
 * @Test
 * void call_answers200(TestIsola isola) {         // or SERVER.isola()
 *     assertThat(isola.get("/function/probe/").statusCode()).isEqualTo(200);
 * }
 * }</pre>
 *
 * <p>The field must be static (JUnit honours before-all and after-all callbacks only there). A backend this host
 * cannot run skips the class with the backend's own reason, never passes it silently.
 *
 * <p>Leaks: after each test nothing may be left beyond what the server holds at that moment ({@link TestIsola}'s
 * live instances and recorded network attachments; see {@link Leaks.Holdings}); after the class, once the server
 * stopped, nothing at all, and its {@code run/} and {@code spare-networks/} must be empty. On the {@code process}
 * backend that is checked for child processes only ({@link Leaks.Scope#PROCESSES}), so that such classes can run
 * beside another run's sandbox tests; on every other backend for the whole host ({@link Leaks.Scope#HOST}), which
 * needs the shared sandbox lock.
 */
public final class IsolaServerExtension implements BeforeAllCallback, AfterEachCallback, AfterAllCallback,
        ParameterResolver {
    /**
     * A test class run once per backend, each subclass naming its own (the sandbox contract suite). It must use
     * {@code @TestInstance(PER_CLASS)}: the extension asks the instance before the first test.
     */
    public interface PerBackend {
        /** The backend the server of this class runs instances on. */
        String backend();

        /**
         * One-time host preparation before the server starts (a guest kernel build, say); runs only when the backend
         * can run on this host.
         */
        default void prepareHost() {
        }
    }

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(
            IsolaServerExtension.class);

    private final Function<ExtensionContext, PerBackend> backend;
    private final boolean probe;
    private final UnaryOperator<IsolaConfig> tweak;
    /** The server of the class being run (classes run one at a time); the store holds the same for resolution. */
    private volatile TestIsola current;

    private IsolaServerExtension(Function<ExtensionContext, PerBackend> backend, boolean probe,
                                 UnaryOperator<IsolaConfig> tweak) {
        this.backend = backend;
        this.probe = probe;
        this.tweak = tweak;
    }

    /** A server whose instances run on {@code backend}. */
    public static IsolaServerExtension onBackend(String backend) {
        PerBackend fixed = () -> backend;
        return new IsolaServerExtension(context -> fixed, false, UnaryOperator.identity());
    }

    /** A server on the backend the test class names ({@link PerBackend}). */
    public static IsolaServerExtension perBackend() {
        return new IsolaServerExtension(IsolaServerExtension::perBackendInstance, false, UnaryOperator.identity());
    }

    /** Also deploys the test function {@code probe} (Go, 50 requests per instance) before the first test. */
    public IsolaServerExtension withProbe() {
        return new IsolaServerExtension(backend, true, tweak);
    }

    /** A server whose configuration {@code change} changes from the tests' (the edge's client limits, say). */
    public IsolaServerExtension withConfig(UnaryOperator<IsolaConfig> change) {
        return new IsolaServerExtension(backend, probe, change);
    }

    /** The server of the class being run. */
    public TestIsola isola() {
        TestIsola isola = current;
        if (isola == null) {
            throw new IllegalStateException("No test server: it starts before the class's first test");
        }
        return isola;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        PerBackend spec = backend.apply(context);
        String type = spec.backend();
        Availability availability = TestHost.probe(type);
        Assumptions.assumeTrue(availability.runs(), () -> type + " unavailable: " + availability.describe());
        spec.prepareHost();
        TestIsola isola = TestIsola.start(type, tweak);
        try {
            if (probe) {
                isola.deployProbe();
            }
        } catch (RuntimeException e) {
            isola.close();
            throw e;
        }
        context.getStore(NAMESPACE).put(Running.class, new Running(isola, scope(type)));
        current = isola;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        running(context).ifPresent(running -> Leaks.assertNone(running.scope(), running.isola()::holdings));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Optional<Running> started = running(context);
        if (started.isEmpty()) {
            return; // skipped: the backend does not run here
        }
        Running running = started.get();
        context.getStore(NAMESPACE).remove(Running.class);
        current = null;
        TestIsola isola = running.isola();
        try {
            isola.stop();
            Leaks.assertNone(running.scope(), isola::holdings);
        } finally {
            isola.deleteStateDir();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestIsola.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return running(context).map(Running::isola).orElseThrow(() -> new IllegalStateException(
                "No test server: it starts before the class's first test"));
    }

    /** The server of a class, and how far its leak checks look. */
    private record Running(TestIsola isola, Leaks.Scope scope) {
    }

    private static Optional<Running> running(ExtensionContext context) {
        return Optional.ofNullable(context.getStore(NAMESPACE).get(Running.class, Running.class));
    }

    /** Host-wide checks need the shared sandbox lock; process-backend classes (gateway tests, say) run without it. */
    private static Leaks.Scope scope(String backend) {
        return backend.equals("process") ? Leaks.Scope.PROCESSES : Leaks.Scope.HOST;
    }

    private static PerBackend perBackendInstance(ExtensionContext context) {
        Object instance = context.getTestInstance().orElseThrow(() -> new IllegalStateException(
                context.getRequiredTestClass().getSimpleName() + ": IsolaServerExtension.perBackend() needs "
                        + "@TestInstance(PER_CLASS), to ask the test instance for its backend before the first test"));
        if (!(instance instanceof PerBackend perBackend)) {
            throw new IllegalStateException(context.getRequiredTestClass().getSimpleName()
                    + ": IsolaServerExtension.perBackend() needs the test class to implement PerBackend");
        }
        return perBackend;
    }
}
