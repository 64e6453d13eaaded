package io.danmaku.server.role;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Closes a role's parts in order; one failing close does not keep the others open. */
final class Closing {
    private static final Logger log = LoggerFactory.getLogger(Closing.class);

    private Closing() {
    }

    static void quietly(AutoCloseable... parts) {
        for (AutoCloseable part : parts) {
            if (part == null) {
                continue;
            }
            try {
                part.close();
            } catch (Exception e) {
                log.warn("closing {} failed", part.getClass().getSimpleName(), e);
            }
        }
    }
}
