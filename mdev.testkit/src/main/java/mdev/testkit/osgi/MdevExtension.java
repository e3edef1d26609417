package mdev.testkit.osgi;

import java.time.Duration;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

/**
 * JUnit 5: {@code @ExtendWith(MdevExtension.class)} on a test class in a test bundle gives each
 * test an {@link MdevHost} parameter (of the test bundle's framework) and, after the test, closes
 * it (its devices removed, its VMMs closed, its loads stopped) and fails when the test left
 * devices, opens, file descriptors or threads behind (after letting them settle for 5 s).
 * Works beside osgi-test's extensions ({@code @InjectService}, {@code @InjectBundleContext}).
 */
public final class MdevExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(MdevExtension.class);
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private record State(MdevHost host, Leaks.Snapshot before) {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Bundle bundle = FrameworkUtil.getBundle(context.getRequiredTestClass());
        if (bundle == null || bundle.getBundleContext() == null) {
            throw new IllegalStateException(context.getRequiredTestClass().getName()
                    + " is not in a started bundle: MdevExtension runs inside a framework (bnd-testing, osgi-test)");
        }
        MdevHost host = MdevHost.of(bundle.getBundleContext());
        context.getStore(NAMESPACE).put(State.class, new State(host, host.snapshot()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        State state = context.getStore(NAMESPACE).remove(State.class, State.class);
        if (state != null) {
            state.host().close();
            Leaks.assertNoneSince(state.host(), state.before(), SETTLE);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == MdevHost.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getStore(NAMESPACE).get(State.class, State.class).host();
    }
}
