package io.danmaku.storage;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Configuration of the storage tier, validated once at construction.
 *
 * @param group the consumer group the storage instances share on the bus ({@code storage.group}); instances of
 *     one group split the stream between them and resume from the group's committed position
 * @param archiveDir root directory of the archive of compressed segments ({@code storage.archive.dir});
 *     {@code null} = no archive (only the hot history is written)
 * @param segmentMaxBytes an archive segment is rolled (compressed and closed) before its uncompressed size
 *     would exceed this ({@code storage.archive.segment-max-bytes})
 * @param segmentMaxAge an archive segment is rolled once it has been open this long
 *     ({@code storage.archive.segment-max-age})
 */
public record StorageConfig(String group, Path archiveDir, long segmentMaxBytes, Duration segmentMaxAge) {
    public static final String DEFAULT_GROUP = "danmaku-storage";
    public static final long DEFAULT_SEGMENT_MAX_BYTES = 64L * 1024 * 1024;
    public static final Duration DEFAULT_SEGMENT_MAX_AGE = Duration.ofMinutes(10);
    public static final long MIN_SEGMENT_MAX_BYTES = 1024;
    public static final long MAX_SEGMENT_MAX_BYTES = 1024L * 1024 * 1024;
    public static final Duration MIN_SEGMENT_MAX_AGE = Duration.ofSeconds(1);
    public static final Duration MAX_SEGMENT_MAX_AGE = Duration.ofDays(1);

    public StorageConfig {
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("storage.group: " + (group == null ? "null" : '"' + group + '"')
                    + " (expected: a non-blank consumer group name)");
        }
        if (archiveDir != null) {
            archiveDir = archiveDir.toAbsolutePath().normalize();
        }
        if (segmentMaxBytes < MIN_SEGMENT_MAX_BYTES || segmentMaxBytes > MAX_SEGMENT_MAX_BYTES) {
            throw new IllegalArgumentException("storage.archive.segment-max-bytes: " + segmentMaxBytes
                    + " (expected: " + MIN_SEGMENT_MAX_BYTES + ".." + MAX_SEGMENT_MAX_BYTES + ")");
        }
        requireNonNull(segmentMaxAge, "segmentMaxAge");
        if (segmentMaxAge.compareTo(MIN_SEGMENT_MAX_AGE) < 0 || segmentMaxAge.compareTo(MAX_SEGMENT_MAX_AGE) > 0) {
            throw new IllegalArgumentException("storage.archive.segment-max-age: " + segmentMaxAge
                    + " (expected: " + MIN_SEGMENT_MAX_AGE + ".." + MAX_SEGMENT_MAX_AGE + ")");
        }
    }

    /** Group {@code group}, no archive, default segment limits. */
    public StorageConfig(String group) {
        this(group, null, DEFAULT_SEGMENT_MAX_BYTES, DEFAULT_SEGMENT_MAX_AGE);
    }

    /** Same as {@link #StorageConfig(String)}. */
    public static StorageConfig of(String group) {
        return new StorageConfig(group);
    }

    /** The defaults: group {@value #DEFAULT_GROUP}, no archive. */
    public static StorageConfig defaults() {
        return new StorageConfig(DEFAULT_GROUP);
    }

    /** This configuration with the archive under {@code dir} ({@code null} = no archive). */
    public StorageConfig withArchiveDir(Path dir) {
        return new StorageConfig(group, dir, segmentMaxBytes, segmentMaxAge);
    }

    /** This configuration with other segment limits. */
    public StorageConfig withSegmentLimits(long maxBytes, Duration maxAge) {
        return new StorageConfig(group, archiveDir, maxBytes, maxAge);
    }

    /** Whether batches are archived as well as written to the hot history. */
    public boolean archiveEnabled() {
        return archiveDir != null;
    }
}
