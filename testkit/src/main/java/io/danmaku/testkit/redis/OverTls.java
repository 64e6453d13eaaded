package io.danmaku.testkit.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link RedisCluster} parameter resolved by {@link RedisClusterExtension}: inject the shared 6-node cluster
 * that speaks only TLS and requires client certificates ({@link RedisCluster.Tls}; a client takes its files from
 * {@link RedisCluster#tlsFiles()}) instead of the plain one.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface OverTls {
}
