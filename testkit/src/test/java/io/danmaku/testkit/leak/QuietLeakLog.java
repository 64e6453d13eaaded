package io.danmaku.testkit.leak;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.netty.util.ResourceLeakDetector;
import org.slf4j.LoggerFactory;

/**
 * Silences Netty's leak log while a test leaks on purpose, so the deliberate {@code LEAK:} line does not reach the
 * Surefire output that the build scans for real leaks. Recording does not depend on the log level.
 */
final class QuietLeakLog implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    private final Level previous = logger.getLevel();

    QuietLeakLog() {
        logger.setLevel(Level.OFF);
    }

    @Override
    public void close() {
        logger.setLevel(previous);
    }
}
