package io.danmaku.server.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Configures Logback from {@link LogSettings}, replacing whatever configured it before (the {@code logback.xml}
 * that serves until then): one appender writing {@link LogSettings.Format#TEXT text} or
 * {@link LogSettings.Format#JSON JSON} lines to a stream (standard output in production), the root level, the
 * default {@code io.netty=warn} and then the levels of single loggers. Every role and standalone call it at start,
 * before anything else is logged.
 *
 * <p>Text: {@code 2026-12-02T06:50:01.234Z INFO  [main] i.d.server.cli.RoleRunner - message {trace_id=…}} (the
 * MDC in braces when it has entries), the stack trace on the following lines. JSON, one object per line:
 * {@code timestamp} (ISO-8601, UTC), {@code level}, {@code logger}, {@code thread}, {@code message}, the MDC
 * entries as fields of their own ({@code trace_id}, {@code trace_ids}), {@code exception} (the stack trace as
 * one string, when there is one) and {@code role}.
 */
public final class LogSetup {
    /** The appender's name. */
    public static final String APPENDER = "danmaku";
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX, UTC} %-5level [%thread] %logger{30} - %msg"
            + "%replace( {%mdc}){' \\{\\}', ''}%n";
    /** Levels applied before the configured ones (which may override them): libraries that say too much. */
    static final Map<String, Level> BASELINE = Map.of("io.netty", Level.WARN);

    private LogSetup() {
    }

    /** Configures Logback to write to standard output. */
    public static void toStandardOutput(LogSettings settings) {
        apply(settings, System.out);
    }

    /**
     * Configures Logback to write to {@code out} (never closed by logging; flushed after every line).
     *
     * @throws IllegalStateException when SLF4J is not bound to Logback
     */
    public static void apply(LogSettings settings, OutputStream out) {
        requireNonNull(settings, "settings");
        requireNonNull(out, "out");
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!(factory instanceof LoggerContext context)) {
            throw new IllegalStateException("logging: SLF4J is bound to " + factory.getClass().getName()
                    + " (expected: Logback)");
        }
        synchronized (LogSetup.class) {
            context.reset();
            Encoder<ILoggingEvent> encoder = settings.format() == LogSettings.Format.JSON
                    ? json(context, settings.role()) : text(context);
            OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
            appender.setContext(context);
            appender.setName(APPENDER);
            appender.setEncoder(encoder);
            appender.setOutputStream(new Unclosable(out));
            appender.start();
            Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            root.setLevel(settings.root());
            root.addAppender(appender);
            BASELINE.forEach((name, level) -> context.getLogger(name).setLevel(level));
            settings.loggers().forEach((name, level) -> context.getLogger(name).setLevel(level));
        }
    }

    private static Encoder<ILoggingEvent> text(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(TEXT_PATTERN);
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> json(LoggerContext context, String role) {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        LogstashFieldNames names = new LogstashFieldNames();
        names.setTimestamp("timestamp");
        names.setLogger("logger");
        names.setThread("thread");
        names.setStackTrace("exception");
        names.setVersion("[ignore]");
        names.setLevelValue("[ignore]");
        encoder.setFieldNames(names);
        encoder.setTimeZone("UTC");
        encoder.setIncludeContext(false);
        if (role != null) {
            ObjectNode fields = JsonNodeFactory.instance.objectNode().put("role", role);
            encoder.setCustomFields(fields.toString());
        }
        encoder.start();
        return encoder;
    }

    /** Passes writes and flushes on; {@link #close()} only flushes (Logback closes its stream on reset). */
    private static final class Unclosable extends OutputStream {
        private final OutputStream out;

        Unclosable(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
