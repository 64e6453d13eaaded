package io.danmaku.storage.archive;

import java.nio.file.Path;

/** The archive's store cases on the archive directory (the standalone default). */
class LocalArchiveWriterStoreTest extends ArchiveWriterStoreContract {
    @Override
    ArchiveStore newStore(Path dir) {
        return null;
    }
}
