package io.danmaku.testkit.redis;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * On a {@link RedisCluster} parameter resolved by {@link RedisClusterExtension}: inject the shared plain
 * (non-cluster) Redis node instead of the shared 6-node cluster.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface SingleNode {
}
