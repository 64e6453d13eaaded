/**
 * Real Redis for tests and the local distributed stack: {@link io.danmaku.testkit.redis.RedisCluster} runs
 * Debian's {@code redis-server} as child processes (a 6-node cluster, 3 masters, or one plain node) on free
 * loopback ports, in plain text or speaking only TLS, and can kill and restart nodes for failover tests and move a
 * slot for redirection tests; {@link io.danmaku.testkit.redis.RedisClusterExtension} shares one per test JVM;
 * {@link io.danmaku.testkit.redis.TlsRedis} is one plain node that speaks only TLS;
 * {@link io.danmaku.testkit.redis.RespConnection} is a minimal blocking client for set-up and assertions.
 */
package io.danmaku.testkit.redis;
