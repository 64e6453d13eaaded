/**
 * Helpers shared by the tests of every tier: the Netty leak guard today, real Kafka and Redis Cluster and a
 * WebSocket test client as the tiers need them. Only test classpaths depend on this module.
 */
package io.danmaku.testkit;
