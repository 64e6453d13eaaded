package io.danmaku.storage;

import static java.util.Objects.requireNonNull;

import io.danmaku.storage.archive.S3ArchiveConfig;
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
 * @param s3 the bucket sealed segments go to ({@code storage.archive.type=s3}), shared by every storage process;
 *     null = they stay in {@code archiveDir} (then {@code archiveDir} holds the open segments only)
 * @param retention sealed segments whose records are all older than this are deleted, the newest of each stream
 *     excepted ({@code storage.archive.retention}); zero = kept for good
 */
public record StorageConfig(String group, Path archiveDir, long segmentMaxBytes, Duration segmentMaxAge,
                            S3ArchiveConfig s3, Duration retention) {
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
        if (s3 != null && archiveDir == null) {
            throw new IllegalArgumentException("storage.archive.dir: unset (expected: a local directory for the open"
                    + " segments when storage.archive.type is s3)");
        }
        requireNonNull(retention, "retention");
        if (retention.isNegative()) {
            throw new IllegalArgumentException("storage.archive.retention: " + retention + " (expected: >= 0)");
        }
        requireNonNull(segmentMaxAge, "segmentMaxAge");
        if (segmentMaxAge.compareTo(MIN_SEGMENT_MAX_AGE) < 0 || segmentMaxAge.compareTo(MAX_SEGMENT_MAX_AGE) > 0) {
            throw new IllegalArgumentException("storage.archive.segment-max-age: " + segmentMaxAge
                    + " (expected: " + MIN_SEGMENT_MAX_AGE + ".." + MAX_SEGMENT_MAX_AGE + ")");
        }
    }

    /** Group {@code group}, no archive, default segment limits. */
    public StorageConfig(String group) {
        this(group, null, DEFAULT_SEGMENT_MAX_BYTES, DEFAULT_SEGMENT_MAX_AGE, null, Duration.ZERO);
    }

    /** Local archive under {@code archiveDir}, kept for good. */
    public StorageConfig(String group, Path archiveDir, long segmentMaxBytes, Duration segmentMaxAge) {
        this(group, archiveDir, segmentMaxBytes, segmentMaxAge, null, Duration.ZERO);
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
        return new StorageConfig(group, dir, segmentMaxBytes, segmentMaxAge, s3, retention);
    }

    /** This configuration with other segment limits. */
    public StorageConfig withSegmentLimits(long maxBytes, Duration maxAge) {
        return new StorageConfig(group, archiveDir, maxBytes, maxAge, s3, retention);
    }

    /** This configuration with sealed segments in a bucket ({@code null} = in the archive directory). */
    public StorageConfig withS3(S3ArchiveConfig bucket) {
        return new StorageConfig(group, archiveDir, segmentMaxBytes, segmentMaxAge, bucket, retention);
    }

    /** This configuration with another retention (zero = keep for good). */
    public StorageConfig withRetention(Duration newRetention) {
        return new StorageConfig(group, archiveDir, segmentMaxBytes, segmentMaxAge, s3, newRetention);
    }

    /** Whether batches are archived as well as written to the hot history. */
    public boolean archiveEnabled() {
        return archiveDir != null;
    }
}
