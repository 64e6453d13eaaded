/**
 * Values shared by every tier: room ids, users, the stamped room message and the record that carries it
 * through the bus and the hot store. Nothing here depends on Netty, Kafka or Redis.
 */
package io.danmaku.protocol;
