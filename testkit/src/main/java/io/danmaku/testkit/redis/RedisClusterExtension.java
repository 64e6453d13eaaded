package io.danmaku.testkit.redis;

import io.danmaku.testkit.tls.TestCa;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects a real Redis into test constructors and methods: a {@link RedisCluster} parameter gets the 6-node
 * cluster (3 masters, 3 replicas), one annotated {@link SingleNode} a plain node, one annotated {@link OverTls} a
 * 6-node cluster that speaks only TLS (certificates of its own {@link TestCa}). Each is started once per test
 * JVM, on first use, and stopped when the JVM's tests are done (it lives in the root context's store, which
 * closes it).
 *
 * <p>Without {@code redis-server} on the {@code PATH} the test fails with a message saying how to install it:
 * the Redis tests are never skipped silently.
 *
 * <p>The cluster is shared by every test class of the JVM: a test that kills a node must restart it
 * ({@link RedisCluster#restart}) before it ends, which leaves the cluster healthy for the next.
 */
public final class RedisClusterExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(
            RedisClusterExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RedisCluster.class;
    }

    @Override
    public RedisCluster resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        if (parameterContext.isAnnotated(OverTls.class)) {
            return sharedOverTls(extensionContext);
        }
        boolean single = parameterContext.isAnnotated(SingleNode.class);
        return shared(extensionContext, single ? RedisCluster.Layout.SINGLE : RedisCluster.Layout.MASTERS_AND_REPLICAS);
    }

    /** The JVM's shared instance of {@code layout}, started on first use. */
    public static RedisCluster shared(ExtensionContext context, RedisCluster.Layout layout) {
        return shared(context, layout, layout, () -> RedisCluster.start(layout, 0));
    }

    /** The JVM's shared 6-node cluster that speaks only TLS, started on first use. */
    public static RedisCluster sharedOverTls(ExtensionContext context) {
        RedisCluster.Layout layout = RedisCluster.Layout.MASTERS_AND_REPLICAS;
        return shared(context, "tls-" + layout, layout, () -> RedisCluster.start(layout, 0,
                RedisCluster.Tls.issuedBy(TestCa.create("redis-cluster-ca"))));
    }

    private static RedisCluster shared(ExtensionContext context, Object key, RedisCluster.Layout layout,
                                       Supplier<RedisCluster> start) {
        if (!RedisCluster.installIfMissing()) {
            throw new ExtensionConfigurationException("redis-server/redis-cli not found on PATH: this test needs a"
                    + " real Redis. Install it (Debian/Ubuntu: apt-get install -y redis-server redis-tools; .ci/run"
                    + " does this by itself)");
        }
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        try {
            return store.getOrComputeIfAbsent(key, k -> start.get(), RedisCluster.class);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("cannot start Redis " + layout + ": " + e.getMessage(), e);
        }
    }
}
