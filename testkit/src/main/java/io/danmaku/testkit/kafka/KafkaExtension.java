package io.danmaku.testkit.kafka;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the test JVM's one {@link KafkaBroker} into test, lifecycle and constructor parameters of that type:
 * {@code @ExtendWith(KafkaExtension.class)}, then {@code @BeforeAll static void setUp(KafkaBroker kafka)}.
 *
 * <p>The broker is started on first use and kept in the root store of the JUnit run, which closes it (stops the
 * child JVM and deletes its data) when the run ends; every test class of the JVM shares it. Tests keep out of
 * each other's way through their own topic and group names. A test that stops or kills the shared broker must
 * {@link KafkaBroker#start()} it again before it returns; a test that needs a broker to itself uses
 * {@link KafkaBroker#launch()} directly.
 */
public final class KafkaExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public KafkaBroker resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return broker(extensionContext);
    }

    /** The shared broker, started on first use; it is closed when the JUnit run ends. */
    public static KafkaBroker broker(ExtensionContext context) {
        KafkaBroker broker = context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(KafkaBroker.class, type -> KafkaBroker.launch(), KafkaBroker.class);
        broker.start();
        return broker;
    }
}
