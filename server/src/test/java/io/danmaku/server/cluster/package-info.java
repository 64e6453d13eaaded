/**
 * Distributed-mode tests on real services: gateway, logic and storage roles started as they run in production
 * (each through its own {@link io.danmaku.server.cli.RoleRunner}, or as a child process) over the test JVM's
 * real Kafka broker and Redis Cluster from {@code testkit}, with real WebSocket clients. They assert what users
 * and operators see: every accepted message delivered to every member of its room in one order, stored in
 * Redis history and the archive exactly once, and the failure behaviour of the design when storage, a Redis
 * master or Kafka goes away.
 */
package io.danmaku.server.cluster;
