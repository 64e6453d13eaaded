/**
 * The storage tier: consumes the room-message stream as consumer group {@code danmaku-storage} and makes it
 * readable later: the rooms' hot history (the {@code HotStore}) for recent messages and, when configured, the
 * archive of compressed segments for everything. Holds no state of its own besides the group's committed
 * position on the bus and the archive files, so instances scale with the bus partitions.
 * {@link io.danmaku.storage.StorageConfig} is its configuration and {@link io.danmaku.storage.StorageException}
 * the root of its exceptions.
 */
package io.danmaku.storage;
