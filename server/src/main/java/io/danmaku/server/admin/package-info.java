/**
 * The admin HTTP endpoints every role serves on {@code admin.host:admin.port}: Prometheus metrics, liveness and
 * readiness, on the JDK's built-in HTTP server so they keep answering whatever the tiers' event loops are doing.
 * {@link io.danmaku.server.admin.Readiness} is the switch the process lifecycle flips on start and drain.
 */
package io.danmaku.server.admin;
