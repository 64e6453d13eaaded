package io.danmaku.server.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.server.config.Config;
import io.danmaku.server.config.ConfigException;
import io.danmaku.server.config.ConfigLoader;
import io.danmaku.server.config.DanmakuKeys;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.archive.S3ArchiveConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code storage.archive.*}: how the settings become the storage tier's configuration, and their errors. */
class ArchiveSettingsTest {
    private static final String SECRET = "s3-s3cret-key-value";

    private static Config load(Map<String, String> env, String... flags) {
        return new ConfigLoader(DanmakuKeys.DEFINITION).load(null, env, List.of(flags));
    }

    @Test
    void theDefaultIsTheLocalDirectoryKeptForGood() {
        StorageConfig c = TierConfigs.storage(load(Map.of(), "storage.archive.dir=/var/lib/danmaku/archive"));

        assertThat(c.s3()).isNull();
        assertThat(c.retention()).isZero();
        assertThat(c.archiveDir()).isEqualTo(Path.of("/var/lib/danmaku/archive"));
    }

    @Test
    void s3SettingsReachTheBucketConfigurationAndTheSecretIsMaskedWhereverShown() {
        Config config = load(Map.of("DANMAKU_STORAGE_ARCHIVE_S3_SECRET_KEY", SECRET),
                "storage.archive.dir=/tmp/open-segments", "storage.archive.type=s3",
                "storage.archive.s3.endpoint=http://minio.storage:9000", "storage.archive.s3.bucket=danmaku-archive",
                "storage.archive.s3.prefix=prod/archive", "storage.archive.s3.access-key=AKIDEXAMPLE",
                "storage.archive.s3.path-style=false", "storage.archive.retention=720h",
                "storage.archive.s3.refresh-interval=5s");

        StorageConfig c = TierConfigs.storage(config);

        assertThat(c.retention()).isEqualTo(Duration.ofDays(30));
        assertThat(c.s3()).isEqualTo(new S3ArchiveConfig(URI.create("http://minio.storage:9000"), "danmaku-archive",
                "prod/archive", "us-east-1", "AKIDEXAMPLE", SECRET, false, Duration.ofSeconds(5)));
        assertThat(config.describe()).doesNotContain(SECRET)
                .contains("storage.archive.s3.secret-key = [hidden] (env)");
        assertThat(c.toString()).doesNotContain(SECRET);
        assertThat(c.s3().toString()).doesNotContain(SECRET).contains("secretKey=[hidden]");
    }

    @Test
    void withoutKeysTheSdkDefaultCredentialsAreUsed() {
        StorageConfig c = TierConfigs.storage(load(Map.of(), "storage.archive.dir=/tmp/a", "storage.archive.type=s3",
                "storage.archive.s3.bucket=b-1-2"));

        assertThat(c.s3().accessKey()).isNull();
        assertThat(c.s3().secretKey()).isNull();
        assertThat(c.s3().endpoint()).isNull();
        assertThat(c.s3().prefix()).isEqualTo("archive");
    }

    @Test
    void badS3SettingsNameTheKey() {
        assertThatThrownBy(() -> TierConfigs.storage(load(Map.of(), "storage.archive.dir=/tmp/a",
                "storage.archive.type=s3")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("storage.archive.s3.bucket: unset");
        assertThatThrownBy(() -> TierConfigs.storage(load(Map.of(), "storage.archive.type=s3",
                "storage.archive.s3.bucket=bucket-x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("storage.archive.dir: unset");
        assertThatThrownBy(() -> load(Map.of(), "storage.archive.s3.access-key=AKID"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("storage.archive.s3.secret-key");
        assertThatThrownBy(() -> load(Map.of(), "storage.archive.type=gcs"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("storage.archive.type");
        assertThatThrownBy(() -> load(Map.of(), "storage.archive.s3.prefix=/leading"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("storage.archive.s3.prefix");
    }
}
