package io.danmaku.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.DanmakuException;
import io.danmaku.protocol.bus.BusMessage;
import io.danmaku.protocol.memory.MemoryHotStore;
import io.danmaku.protocol.memory.MemoryMessageBus;
import io.danmaku.protocol.trace.TraceId;
import io.danmaku.storage.StorageConfig;
import io.danmaku.storage.archive.ArchiveSink;
import io.danmaku.storage.ingest.StorageService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A storage write that fails (the archive refuses a batch once) is logged in JSON with the trace ids of the posts
 * it concerns: the WARN with the batch's ids, a DEBUG line per record with its own.
 */
class StorageFailureLogsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String STORAGE = "io.danmaku.storage.ingest.StorageService";

    @Test
    void aFailedWriteIsLoggedWithTheTraceIdsOfItsPosts() throws Exception {
        TraceId first = TraceId.random();
        TraceId second = TraceId.random();
        AtomicInteger calls = new AtomicInteger();
        ArchiveSink failingOnce = records -> calls.incrementAndGet() == 1
                ? CompletableFuture.failedFuture(new DanmakuException("test: disk full", true))
                : CompletableFuture.completedFuture(null);
        try (LogCapture capture = LogCapture.apply(LogSettings.of("json", "warn," + STORAGE + "=debug", "storage"));
             MemoryMessageBus bus = new MemoryMessageBus();
             MemoryHotStore store = new MemoryHotStore();
             StorageService storage = new StorageService(StorageConfig.defaults(), bus, store, failingOnce,
                     new SimpleMeterRegistry())) {
            storage.start();
            bus.publish(List.of(
                    new BusMessage("room-a", "{\"id\":\"1\"}".getBytes(StandardCharsets.UTF_8), first),
                    new BusMessage("room-a", "{\"id\":\"2\"}".getBytes(StandardCharsets.UTF_8), second)))
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);

            JsonNode warn = capture.awaitLine(STORAGE, "WARN", "storage: writing a batch of 2 records", "", WAIT);
            assertThat(warn.path("trace_ids").asText()).isEqualTo(first + " " + second);
            assertThat(warn.path("exception").asText()).contains("test: disk full");
            JsonNode one = capture.awaitLine(STORAGE, "DEBUG", "room room-a offset 1 not written yet", "", WAIT);
            JsonNode two = capture.awaitLine(STORAGE, "DEBUG", "room room-a offset 2 not written yet", "", WAIT);
            assertThat(one.path("trace_id").asText()).isEqualTo(first.toString());
            assertThat(two.path("trace_id").asText()).isEqualTo(second.toString());
        }
    }
}
