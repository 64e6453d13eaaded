/**
 * The Redis implementation of the {@code HotStore} seam ({@link io.danmaku.store.redis.RedisHotStore}) for
 * Redis Cluster or a single node via Lettuce's asynchronous API: room history as capped streams keyed by Kafka
 * offset, online counts, bans and mutes, a GCRA rate limiter and dedupe marks, each written by one command or
 * one Lua script (resources next to the classes). Every key name is in {@link io.danmaku.store.redis.RedisKeys}.
 */
package io.danmaku.store.redis;
