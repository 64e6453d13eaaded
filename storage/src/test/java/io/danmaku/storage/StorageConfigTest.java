package io.danmaku.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StorageConfigTest {

    @Test
    void defaultsUseTheStorageGroup() {
        assertThat(StorageConfig.defaults().group()).isEqualTo("danmaku-storage")
                .isEqualTo(StorageConfig.DEFAULT_GROUP);
    }

    @Test
    void aBlankGroupIsRejectedNamingTheKey() {
        assertThatThrownBy(() -> new StorageConfig(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("storage.group: \" \" (expected: a non-blank consumer group name)");
        assertThatThrownBy(() -> new StorageConfig(null)).hasMessageStartingWith("storage.group: null");
    }
}
