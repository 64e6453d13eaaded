package io.danmaku.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
