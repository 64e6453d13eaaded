/**
 * The fan-out engine. Room membership is sharded per event loop ({@link io.danmaku.gateway.room.LoopShard}):
 * a loop only touches its own members, so delivery takes no locks. The bus thread
 * ({@link io.danmaku.gateway.room.FanoutDispatcher}) groups each poll by room, appends to the room's recent
 * ring (for recovery) and hands each loop that has members of the room one task per poll. Each loop
 * accumulates a room's messages for the batching window, encodes the batch once per wire format into one
 * complete WebSocket frame and writes a {@code retainedDuplicate()} of it to every member, one flush per
 * member per batch. Members that are not writable skip batches (counted); writable again, they catch up from the
 * room's ring in one write, or are told in their protocol's way when the ring no longer holds all they missed
 * ({@link io.danmaku.gateway.room.Member#onFellBehind}); stalled too long, they are closed.
 * A hot room under {@link io.danmaku.gateway.room.SamplingRules} is sampled on the bus thread before its records
 * reach the loops ({@link io.danmaku.gateway.room.RoomSampler}): every loop gets the same sample to share, plus the
 * left-out posts, which only their authors' connections get.
 */
package io.danmaku.gateway.room;
