package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the slimmer per-connection state (small shared read buffers, no aggregator handler, one room kept in a
 * field, pings from a shared wheel) must not change, over a real socket.
 */
class IdleFootprintEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder()
                .batchWindow(Duration.ofMillis(20))
                .pingInterval(Duration.ofMillis(200))
                .build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void aCommandLargerThanTheReadBufferIsReadWhole() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            ObjectNode params = Json.MAPPER.createObjectNode();
            params.put("channel", "big-command");
            params.put("padding", "p".repeat(40_000)); // ~20 read buffers' worth
            JsonNode reply = c.command("subscribe", params);
            assertThat(reply.has("subscribe")).as("reply %s", reply).isTrue();
        }
    }

    @Test
    void aConnectionInSeveralRoomsGetsEachRoomsMessagesAndCanLeaveAny() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.subscribe("multi-a");
            c.subscribe("multi-b");
            c.subscribe("multi-c");
            ObjectNode params = Json.MAPPER.createObjectNode();
            params.put("channel", "multi-a");
            assertThat(c.command("unsubscribe", params).has("unsubscribe")).isTrue();
            assertThat(c.subscribe("multi-b").path("error").path("code").asInt()).isEqualTo(105);
            gw.publish("multi-a", "to a");
            gw.publish("multi-b", "to b");
            gw.publish("multi-c", "to c");
            assertThat(c.awaitPublications("multi-b", 1)).extracting(p -> p.path("data").path("text").asText())
                    .containsExactly("to b");
            assertThat(c.awaitPublications("multi-c", 1)).extracting(p -> p.path("data").path("text").asText())
                    .containsExactly("to c");
            assertThat(c.publications("multi-a")).isEmpty();
        }
    }

    static long pings(CentrifugeTestClient c) {
        return c.socket().lines().stream().filter(JsonNode::isEmpty).count();
    }

    @Test
    void pingsKeepComingToAnIdleConnection() {
        try (var c = CentrifugeTestClient.connect(gw.port(), null)) {
            c.subscribe("idle-pings");
            for (int i = 1; i <= 4; i++) { // {} every 200 ms, answered like the SDK does
                int pings = i;
                await().atMost(Duration.ofSeconds(5)).until(() -> pings(c) >= pings);
                c.socket().send("{}");
            }
            assertThat(c.socket().isClosed()).isFalse();
        }
    }
}
