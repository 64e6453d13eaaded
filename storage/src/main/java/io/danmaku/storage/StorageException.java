package io.danmaku.storage;

import io.danmaku.protocol.DanmakuException;

/**
 * Root of the unchecked exceptions of the storage tier. {@link #retriable()} is true when the same write may
 * succeed later (a disk that is full or failing, a store that is down), false for what never will (a stream
 * name that cannot be a path, a closed component).
 */
public class StorageException extends DanmakuException {
    public StorageException(String message, boolean retriable) {
        super(message, retriable);
    }

    public StorageException(String message, Throwable cause, boolean retriable) {
        super(message, cause, retriable);
    }
}
