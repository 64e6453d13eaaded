package io.danmaku.server.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.protocol.trace.TraceMdc;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogSetupTest {
    private static final Logger LOG = LoggerFactory.getLogger("io.danmaku.test.LogSetupTest");

    @Test
    void jsonLinesAreOneObjectEachWithTheFieldsAndTheTraceIdOfThePost() {
        TraceId trace = TraceId.random();
        Instant before = Instant.now();
        List<JsonNode> lines;
        try (LogCapture capture = LogCapture.apply(LogSettings.of("json", "info", "logic"))) {
            try (TraceMdc.Scope ignored = TraceMdc.put(trace)) {
                LOG.info("post \"{}\" refused\nsecond line", "quoted");
            }
            LOG.error("no post here", new IllegalStateException("broken"));
            lines = capture.jsonLines();
        }

        assertThat(lines).hasSize(2);
        JsonNode about = lines.get(0);
        assertThat(about.path("message").asText()).isEqualTo("post \"quoted\" refused\nsecond line");
        assertThat(about.path("level").asText()).isEqualTo("INFO");
        assertThat(about.path("logger").asText()).isEqualTo("io.danmaku.test.LogSetupTest");
        assertThat(about.path("thread").asText()).isEqualTo(Thread.currentThread().getName());
        assertThat(about.path("trace_id").asText()).isEqualTo(trace.toString());
        assertThat(about.path("role").asText()).isEqualTo("logic");
        assertThat(about.path("timestamp").asText()).endsWith("Z");
        assertThat(Instant.parse(about.path("timestamp").asText())).isAfterOrEqualTo(before.minusMillis(1));
        assertThat(about.has("exception")).isFalse();

        JsonNode failure = lines.get(1);
        assertThat(failure.path("level").asText()).isEqualTo("ERROR");
        assertThat(failure.has("trace_id")).as("the MDC entry ended with its scope").isFalse();
        assertThat(failure.path("exception").asText())
                .startsWith("java.lang.IllegalStateException: broken")
                .contains("at io.danmaku.server.logging.LogSetupTest");
    }

    @Test
    void textLinesShowTheMdcInBracesOnlyWhenItHasEntries() {
        TraceId trace = TraceId.random();
        String text;
        try (LogCapture capture = LogCapture.apply(LogSettings.of("text", "info", "gateway"))) {
            try (TraceMdc.Scope ignored = TraceMdc.put(trace)) {
                LOG.info("about a post");
            }
            LOG.info("about nothing");
            text = capture.text();
        }

        String[] lines = text.split("\n");
        assertThat(lines).hasSize(2);
        assertThat(lines[0]).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  \\[.+] "
                + "io\\.danmaku\\.test\\.LogSetupTest - about a post \\{trace_id=" + trace + "}");
        assertThat(lines[1]).endsWith("- about nothing");
    }

    @Test
    void theRootLevelAndTheLevelsOfSingleLoggersApply() {
        Logger chatty = LoggerFactory.getLogger("io.danmaku.test.chatty.Part");
        Logger netty = LoggerFactory.getLogger("io.netty.Something");
        String text;
        try (LogCapture capture = LogCapture.apply(LogSettings.of("text", "warn, io.danmaku.test.chatty=DEBUG", null))) {
            LOG.info("root at warn: not shown");
            LOG.warn("shown: warn");
            chatty.debug("shown: debug below io.danmaku.test.chatty");
            chatty.trace("trace: not shown");
            netty.info("netty at warn by default: not shown");
            text = capture.text();
        }
        assertThat(text).contains("shown: warn", "shown: debug below").doesNotContain("not shown");
    }

    @Test
    void levelsAreParsedAndBadOnesNamed() {
        LogSettings s = LogSettings.of("JSON", " debug ,io.danmaku.logic=trace,io.netty=info", "storage");
        assertThat(s.format()).isEqualTo(LogSettings.Format.JSON);
        assertThat(s.root()).isEqualTo(Level.DEBUG);
        assertThat(s.loggers()).containsExactlyInAnyOrderEntriesOf(Map.of("io.danmaku.logic", Level.TRACE,
                "io.netty", Level.INFO));
        assertThat(LogSettings.of("text", "io.danmaku=off", null).root()).isEqualTo(Level.INFO);

        assertThat(LogSettings.validLevels("info")).isTrue();
        assertThat(LogSettings.validLevels("verbose")).isFalse();
        assertThat(LogSettings.validLevels("info,warn")).isFalse();
        assertThat(LogSettings.validLevels("info,io.danmaku=loud")).isFalse();
        assertThat(LogSettings.validLevels("info,io..danmaku=debug")).isFalse();
        assertThat(LogSettings.validLevels("info,a=debug,a=info")).isFalse();
        assertThat(LogSettings.validLevels("")).isFalse();
        assertThatThrownBy(() -> LogSettings.of("yaml", "info", null)).hasMessageContaining("log.format");
    }

    @Test
    void theConfigurationThatServesBeforeStartWritesTheSameTextLines() throws Exception {
        try (var in = LogSetup.class.getResourceAsStream("/logback.xml")) {
            assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                    .contains("<pattern>" + LogSetup.TEXT_PATTERN + "</pattern>");
        }
    }
}
