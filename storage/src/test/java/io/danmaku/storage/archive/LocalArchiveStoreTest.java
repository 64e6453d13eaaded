package io.danmaku.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalArchiveStoreTest extends ArchiveStoreContract {
    @TempDir
    Path root;

    @Override
    ArchiveStore newStore() {
        return new LocalArchiveStore(root);
    }

    @Override
    void putSegmentOnly(SegmentKey key, byte[] content) throws IOException {
        Path dir = Files.createDirectories(root.resolve(key.stream()));
        Files.write(dir.resolve(key.firstOffset() + ".ndjson.zst"), content);
    }

    @Test
    void keepsTheArchiveDirectoryLayout() throws IOException {
        Path tmp = Files.writeString(root.resolve("x.tmp"), "z");
        store.put(new SegmentKey("t/p-0", 17), tmp, new byte[] {'{', '}'});

        assertThat(root.resolve("t/p-0/17.ndjson.zst")).hasContent("z");
        assertThat(root.resolve("t/p-0/17.idx")).hasContent("{}");
        assertThat(store.shared()).isFalse();
    }
}
