package io.danmaku.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.storage.archive.S3ArchiveConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class StorageConfigTest {

    @Test
    void defaultsUseTheStorageGroupAndNoArchive() {
        StorageConfig c = StorageConfig.defaults();

        assertThat(c.group()).isEqualTo("danmaku-storage").isEqualTo(StorageConfig.DEFAULT_GROUP);
        assertThat(c.archiveDir()).isNull();
        assertThat(c.archiveEnabled()).isFalse();
        assertThat(c.segmentMaxBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(c.segmentMaxAge()).isEqualTo(Duration.ofMinutes(10));
        assertThat(new StorageConfig("g")).isEqualTo(StorageConfig.of("g"));
    }

    @Test
    void anArchiveDirectoryIsMadeAbsolute() {
        StorageConfig c = StorageConfig.of("g").withArchiveDir(Path.of("data/../archive"));

        assertThat(c.archiveEnabled()).isTrue();
        assertThat(c.archiveDir()).isAbsolute().isEqualTo(Path.of("archive").toAbsolutePath());
        assertThat(c.withArchiveDir(null).archiveEnabled()).isFalse();
    }

    @Test
    void aBlankGroupIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> new StorageConfig(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("storage.group: \" \" (expected: a non-blank consumer group name)");
        assertThatThrownBy(() -> new StorageConfig(null)).hasMessageStartingWith("storage.group: null");
    }

    @Test
    void segmentLimitsOutOfRangeAreRejectedNamingTheKey() {
        StorageConfig c = StorageConfig.defaults();

        assertThatThrownBy(() -> c.withSegmentLimits(1023, Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("storage.archive.segment-max-bytes: 1023 (expected: 1024..1073741824)");
        assertThatThrownBy(() -> c.withSegmentLimits(1024, Duration.ofMillis(999)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("storage.archive.segment-max-age: PT0.999S (expected: PT1S..PT24H)");
        assertThatThrownBy(() -> c.withSegmentLimits(1024, Duration.ofDays(2)))
                .hasMessageStartingWith("storage.archive.segment-max-age: PT48H");
        assertThat(c.withSegmentLimits(1024, Duration.ofSeconds(1)).segmentMaxBytes()).isEqualTo(1024);
    }

    @Test
    void aBucketNeedsALocalDirectoryForTheOpenSegmentsAndRetentionIsNotNegative() {
        S3ArchiveConfig bucket = S3ArchiveConfig.of(URI.create("http://127.0.0.1:9000"), "archive-bucket", "id",
                "secret");

        assertThatThrownBy(() -> StorageConfig.defaults().withS3(bucket))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("storage.archive.dir: unset");
        StorageConfig c = StorageConfig.defaults().withArchiveDir(Path.of("open")).withS3(bucket)
                .withRetention(Duration.ofDays(7));
        assertThat(c.s3()).isEqualTo(bucket);
        assertThat(c.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(StorageConfig.defaults().retention()).as("kept for good by default").isZero();
        assertThatThrownBy(() -> c.withRetention(Duration.ofSeconds(-1)))
                .hasMessage("storage.archive.retention: PT-1S (expected: >= 0)");
    }

    @Test
    void aBadBucketSettingNamesItsKeyAndTheSecretIsNeverShown() {
        URI endpoint = URI.create("http://127.0.0.1:9000");
        assertThatThrownBy(() -> S3ArchiveConfig.of(endpoint, "Bad_Bucket", "id", "secret"))
                .hasMessageStartingWith("storage.archive.s3.bucket: \"Bad_Bucket\"");
        assertThatThrownBy(() -> S3ArchiveConfig.of(URI.create("ftp://host/x"), "b-1", "id", "secret"))
                .hasMessageStartingWith("storage.archive.s3.endpoint:");
        assertThatThrownBy(() -> S3ArchiveConfig.of(endpoint, "b-1", "id", null))
                .hasMessageContaining("only one is set");
        assertThatThrownBy(() -> S3ArchiveConfig.of(endpoint, "b-1", "id", "s").withPrefix("a//b"))
                .hasMessageStartingWith("storage.archive.s3.prefix: \"a//b\"");
        assertThat(S3ArchiveConfig.of(endpoint, "b-1", "id", "sup3r-secret").toString())
                .doesNotContain("sup3r-secret").contains("secretKey=[hidden]");
    }
}
