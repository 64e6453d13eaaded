/**
 * The {@code HotStore} seam: room history (a capped stream per room, idempotent by offset), online counts and
 * presence per gateway, node reports, bans and mutes, rate-limit state, dedupe keys, and the control channel by
 * which the server API reaches a user's connections on every gateway ({@code ControlMessage}). Redis (Cluster or single node) in distributed
 * mode, {@link io.danmaku.protocol.memory.MemoryHotStore} in standalone.
 */
package io.danmaku.protocol.store;
