/**
 * The {@code HotStore} seam: room history (a capped stream per room, idempotent by offset), online counts per
 * gateway, bans and mutes, rate-limit state and dedupe keys. Redis (Cluster or single node) in distributed
 * mode, {@link io.danmaku.protocol.memory.MemoryHotStore} in standalone.
 */
package io.danmaku.protocol.store;
