/**
 * The storage tier: consumes the room-message stream as consumer group {@code danmaku-storage} and makes it
 * readable later (hot history now, the archive next). Holds no state of its own besides the group's committed
 * position on the bus, so instances scale with the bus partitions. {@link io.danmaku.storage.StorageConfig} is
 * its configuration.
 */
package io.danmaku.storage;
