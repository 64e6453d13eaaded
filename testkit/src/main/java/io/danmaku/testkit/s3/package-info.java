/**
 * A real S3 API server for tests, always in its own JVM: {@link io.danmaku.testkit.s3.S3ProxyServer} starts
 * S3Proxy (its all-in-one jar from Maven Central, resolved by the testkit build into the local repository) with
 * the filesystem backend on a free loopback port and stops it by its PID; {@link io.danmaku.testkit.s3.S3ProxyExtension}
 * shares one server per test JVM and injects it as an {@code S3ProxyServer} parameter.
 */
package io.danmaku.testkit.s3;
