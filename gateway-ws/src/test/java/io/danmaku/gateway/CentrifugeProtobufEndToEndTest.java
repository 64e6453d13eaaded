package io.danmaku.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.danmaku.gateway.protocol.centrifuge.pb.Command;
import io.danmaku.gateway.protocol.centrifuge.pb.ConnectRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.PublishRequest;
import io.danmaku.gateway.protocol.centrifuge.pb.Reply;
import io.danmaku.gateway.protocol.centrifuge.pb.SubscribeRequest;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import io.danmaku.testkit.ws.TestTokens;
import io.danmaku.testkit.ws.TestWebSocket;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Protobuf variant over a real gateway port: negotiated by the subprotocol {@code centrifuge-protobuf} on
 * {@code /connection/websocket}, and sharing rooms with JSON clients (the same publication, the same data bytes).
 */
class CentrifugeProtobufEndToEndTest {
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = new GatewayHarness(GatewayConfig.builder().build(), true);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static TestWebSocket open(String query, String... subprotocols) {
        return TestWebSocket.connect(URI.create("ws://127.0.0.1:" + gw.port() + "/connection/websocket" + query),
                null, subprotocols);
    }

    static void send(TestWebSocket ws, Command... commands) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (Command c : commands) {
                c.writeDelimitedTo(out);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        ws.sendBinary(out.toByteArray());
    }

    static List<Reply> replies(TestWebSocket ws) {
        List<Reply> out = new ArrayList<>();
        for (byte[] frame : ws.binaryFrames()) {
            ByteArrayInputStream in = new ByteArrayInputStream(frame);
            try {
                Reply r;
                while ((r = Reply.parseDelimitedFrom(in)) != null) {
                    out.add(r);
                }
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return out;
    }

    static Reply await(TestWebSocket ws, Predicate<Reply> p) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (Reply r : replies(ws)) {
                if (p.test(r)) {
                    return r;
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no matching reply within 10 s; received: " + replies(ws)
                + (ws.isClosed() ? "; closed: " + ws.awaitClose() : ""));
    }

    static Command connect(String token) {
        return Command.newBuilder().setId(1).setConnect(ConnectRequest.newBuilder().setToken(token)).build();
    }

    static Command subscribe(int id, String room) {
        return Command.newBuilder().setId(id).setSubscribe(SubscribeRequest.newBuilder().setChannel(room)).build();
    }

    @Test
    void subprotocolCentrifugeProtobufIsChosenAndSpokenOnTheSamePath() {
        try (TestWebSocket ws = open("", "centrifuge-protobuf")) {
            assertThat(ws.subprotocol()).isEqualTo("centrifuge-protobuf");
            send(ws, connect(""));
            Reply r = await(ws, x -> x.getId() == 1);
            assertThat(r.getConnect().getClient()).isNotEmpty();
            assertThat(ws.frames()).as("no text frames on a Protobuf connection").isEmpty();
        }
    }

    @Test
    void withoutTheSubprotocolOrWithAnotherOneTheConnectionSpeaksJson() {
        try (TestWebSocket ws = open("", "some-other-protocol")) {
            assertThat(ws.subprotocol()).isEmpty();
            ws.send("{\"id\":1,\"connect\":{}}");
            assertThat(ws.await(n -> n.path("id").asInt() == 1).has("connect")).isTrue();
        }
    }

    @Test
    void olderSdksFormatQueryParameterAlsoSelectsProtobuf() {
        try (TestWebSocket ws = open("?format=protobuf")) {
            send(ws, connect(""));
            assertThat(await(ws, x -> x.getId() == 1).hasConnect()).isTrue();
        }
    }

    @Test
    void serverPingsAreEmptyRepliesAndAClientThatAnswersStaysWhileASilentOneIsClosed3012() throws Exception {
        try (GatewayHarness fast = new GatewayHarness(GatewayConfig.builder().pingInterval(Duration.ofMillis(200))
                .pongTimeout(Duration.ofMillis(1500)).build(), true);
             TestWebSocket answering = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + fast.port()
                     + "/connection/websocket"), null, "centrifuge-protobuf");
             TestWebSocket silent = TestWebSocket.connect(URI.create("ws://127.0.0.1:" + fast.port()
                     + "/connection/websocket"), null, "centrifuge-protobuf")) {
            send(answering, connect(""));
            send(silent, connect(""));
            await(answering, x -> x.hasConnect());
            await(silent, x -> x.hasConnect());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int answered = 0;
            int seen = 1; // the connect reply
            while (answered < 12 && System.nanoTime() < deadline) {
                List<byte[]> frames = answering.binaryFrames();
                for (; seen < frames.size(); seen++) {
                    assertThat(frames.get(seen)).as("a ping is the empty Reply").containsExactly(0);
                    answering.sendBinary(new byte[] {0}); // the empty Command: pong
                    answered++;
                }
                Thread.sleep(20);
            }
            assertThat(answered).as("pings answered (12 × 200 ms, beyond ping + pong timeout)").isEqualTo(12);
            assertThat(answering.isClosed()).isFalse();
            assertThat(silent.awaitClose(Duration.ofSeconds(10)).code()).isEqualTo(3012);
        }
    }

    @Test
    void protobufAndJsonMembersOfARoomGetTheSamePublications() throws Exception {
        String room = "pb-mixed";
        try (TestWebSocket pb = open("", "centrifuge-protobuf");
             var json = CentrifugeTestClient.connect(gw.port(), null)) {
            send(pb, connect(TestTokens.hs256(GatewayHarness.SECRET, "pat", "Pat")), subscribe(2, room));
            await(pb, x -> x.getId() == 2 && x.hasSubscribe());
            json.subscribe(room);
            send(pb, Command.newBuilder().setId(3).setPublish(PublishRequest.newBuilder().setChannel(room)
                    .setData(ByteString.copyFromUtf8("{\"text\":\"from protobuf\"}"))).build());
            assertThat(await(pb, x -> x.getId() == 3).hasPublish()).isTrue();
            gw.publish(room, "from the server");
            List<JsonNode> atJson = json.awaitPublications(room, 2);
            Reply second = await(pb, x -> x.hasPush() && x.getPush().hasPub()
                    && x.getPush().getPub().getData().toStringUtf8().contains("from the server"));
            Reply first = replies(pb).stream().filter(x -> x.hasPush() && x.getPush().hasPub()).findFirst()
                    .orElseThrow();
            assertThat(first.getPush().getChannel()).isEqualTo(room);
            // the data bytes are the lean JSON body the JSON format embeds, byte for byte
            assertThat(Json.MAPPER.readTree(first.getPush().getPub().getData().toByteArray()))
                    .isEqualTo(atJson.get(0).path("data"));
            assertThat(first.getPush().getPub().getOffset()).isEqualTo(atJson.get(0).path("offset").asLong());
            assertThat(Json.MAPPER.readTree(second.getPush().getPub().getData().toByteArray()).path("text").asText())
                    .isEqualTo("from the server");
            assertThat(atJson.get(0).path("data").path("user").path("id").asText()).isEqualTo("pat");
        }
    }
}
