package io.danmaku.server.logging;

import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Logging configured by {@link LogSetup}, the code production runs at start, with the lines kept in memory instead
 * of written to standard output. {@link #close()} gives the test JVM its own configuration back
 * ({@code logback-test.xml}).
 */
public final class LogCapture implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Applies {@code settings} now. */
    public static LogCapture apply(LogSettings settings) {
        LogCapture capture = new LogCapture();
        capture.configure().accept(settings);
        return capture;
    }

    /** A capture whose configuration a role command applies ({@link io.danmaku.server.cli.RoleCommand#logging}). */
    public static LogCapture deferred() {
        return new LogCapture();
    }

    /** What a role command calls with the settings it loaded. */
    public Consumer<LogSettings> configure() {
        return settings -> LogSetup.apply(settings, out);
    }

    /** Everything written so far. */
    public String text() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Every line written so far, each parsed as JSON; fails when one is not a JSON object. */
    public List<JsonNode> jsonLines() {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : text().split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("log line is not JSON: " + line, e);
            }
            if (node == null || !node.isObject()) {
                throw new AssertionError("log line is not a JSON object: " + line);
            }
            lines.add(node);
        }
        return lines;
    }

    /**
     * Waits until a line of {@code logger} at {@code level} has a message containing {@code what} and, after it,
     * {@code part}, and returns the first such line.
     */
    public JsonNode awaitLine(String logger, String level, String what, String part, Duration wait) {
        Predicate<JsonNode> wanted = line -> {
            String message = line.path("message").asText();
            int at = message.indexOf(what);
            return line.path("logger").asText().equals(logger) && line.path("level").asText().equals(level)
                    && at >= 0 && message.indexOf(part, at + what.length()) >= 0;
        };
        await().atMost(wait).until(() -> find(wanted).isPresent());
        return find(wanted).orElseThrow();
    }

    /** The first line so far that {@code wanted} accepts. */
    public Optional<JsonNode> find(Predicate<JsonNode> wanted) {
        return jsonLines().stream().filter(wanted).findFirst();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        try {
            new ContextInitializer(context).autoConfig();
        } catch (JoranException e) {
            throw new UncheckedIOException(new IOException("restoring the test logging configuration", e));
        }
    }
}
