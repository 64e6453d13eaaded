package io.danmaku.testkit.s3;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the test JVM's one {@link S3ProxyServer} into test, lifecycle and constructor parameters of that type:
 * {@code @ExtendWith(S3ProxyExtension.class)}, then {@code @BeforeAll static void setUp(S3ProxyServer s3)}.
 *
 * <p>The server is started on first use and kept in the root store of the JUnit run, which closes it (stops the
 * child JVM by its PID and deletes its data) when the run ends; every test class of the JVM shares it. Tests keep
 * out of each other's way through their own bucket names ({@link S3ProxyServer#createBucket}).
 */
public final class S3ProxyExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(S3ProxyExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == S3ProxyServer.class;
    }

    @Override
    public S3ProxyServer resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return server(extensionContext);
    }

    /** The shared server, started on first use; it is closed when the JUnit run ends. */
    public static S3ProxyServer server(ExtensionContext context) {
        try {
            return context.getRoot().getStore(NAMESPACE)
                    .getOrComputeIfAbsent(S3ProxyServer.class, type -> S3ProxyServer.launch(), S3ProxyServer.class);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("cannot start S3Proxy: " + e.getMessage(), e);
        }
    }
}
