package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The online count a client reads ({@code presence_stats}; the demo page shows it) counts this gateway's members at
 * once, not from its last report to the hot store, and adds the other gateways' reports.
 */
class PresenceCountTest {
    private static long presence(CentrifugeTestClient client, String room) {
        return client.command("presence_stats", Json.MAPPER.createObjectNode().put("channel", room))
                .path("presence_stats").path("num_clients").asLong(-1);
    }

    @Test
    void membersOfThisGatewayAreCountedBeforeItsNextReport() throws Exception {
        // reports a minute apart: the first one is long after this test
        try (var gw = new GatewayHarness(GatewayConfig.builder().onlineReportInterval(Duration.ofMinutes(1)).build(), true);
             var a = CentrifugeTestClient.connect(gw.port(), null);
             var b = CentrifugeTestClient.connect(gw.port(), null)) {
            a.subscribe("stage");
            assertThat(presence(a, "stage")).isEqualTo(1);

            b.subscribe("stage");
            assertThat(presence(a, "stage")).isEqualTo(2);

            gw.store.reportOnline("another-gateway", Map.of("stage", 3), Duration.ofMinutes(1)).join();
            assertThat(presence(b, "stage")).isEqualTo(5);
        }
    }

    @Test
    void thisGatewaysReportedShareIsNotCountedTwice() throws Exception {
        try (var gw = new GatewayHarness(GatewayConfig.builder().onlineReportInterval(Duration.ofMillis(50)).build(), true);
             var a = CentrifugeTestClient.connect(gw.port(), null);
             var b = CentrifugeTestClient.connect(gw.port(), null)) {
            a.subscribe("hall");
            b.subscribe("hall");
            await().atMost(Duration.ofSeconds(10)).until(() -> gw.store.online("hall").join() == 2);

            assertThat(presence(a, "hall")).isEqualTo(2);
            b.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> presence(a, "hall") == 1);
        }
    }
}
