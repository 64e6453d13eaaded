package io.danmaku.testkit.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;

/**
 * Speaks the Centrifugo JSON protocol the way the SDKs do, over a {@link TestWebSocket}: numbered commands,
 * replies matched by id, pushes collected.
 */
public final class CentrifugeTestClient implements AutoCloseable {
    private final TestWebSocket ws;
    private final AtomicLong ids = new AtomicLong();

    private CentrifugeTestClient(TestWebSocket ws) {
        this.ws = ws;
    }

    /** Opens {@code ws://host:port/connection/websocket} without sending anything. */
    public static CentrifugeTestClient open(int port) {
        return new CentrifugeTestClient(TestWebSocket.connect(
                URI.create("ws://127.0.0.1:" + port + "/connection/websocket")));
    }

    /** Opens {@code uri} ({@code ws://} or {@code wss://} with {@code ssl}) without sending anything. */
    public static CentrifugeTestClient open(URI uri, SSLContext ssl) {
        return new CentrifugeTestClient(TestWebSocket.connect(uri, ssl));
    }

    /** Speaks the protocol over {@code ws}, opened already (e.g. with headers of its own), sending nothing. */
    public static CentrifugeTestClient over(TestWebSocket ws) {
        return new CentrifugeTestClient(ws);
    }

    /** Opens and connects (token may be null for anonymous); asserts a connect result. */
    public static CentrifugeTestClient connect(int port, String token) {
        return connected(open(port), token);
    }

    /** Opens {@code uri} with {@code ssl} and connects (token may be null); asserts a connect result. */
    public static CentrifugeTestClient connect(URI uri, SSLContext ssl, String token) {
        return connected(open(uri, ssl), token);
    }

    private static CentrifugeTestClient connected(CentrifugeTestClient c, String token) {
        JsonNode reply = c.command("connect", token == null ? Json.MAPPER.createObjectNode()
                : Json.MAPPER.createObjectNode().put("token", token));
        if (!reply.has("connect")) {
            throw new AssertionError("connect failed: " + reply);
        }
        return c;
    }

    public TestWebSocket socket() {
        return ws;
    }

    /** Sends {@code {"id":N,"<method>":params}} and waits for the reply with that id. */
    public JsonNode command(String method, ObjectNode params) {
        long id = ids.incrementAndGet();
        ObjectNode cmd = Json.MAPPER.createObjectNode();
        cmd.put("id", id);
        cmd.set(method, params);
        ws.send(cmd.toString());
        return ws.await(n -> n.path("id").asLong() == id);
    }

    public JsonNode subscribe(String room) {
        return command("subscribe", Json.MAPPER.createObjectNode().put("channel", room));
    }

    public JsonNode subscribeRecover(String room, long offset, String epoch) {
        return command("subscribe", Json.MAPPER.createObjectNode().put("channel", room).put("recover", true)
                .put("offset", offset).put("epoch", epoch));
    }

    public JsonNode publish(String room, String text) {
        ObjectNode data = Json.MAPPER.createObjectNode().put("text", text);
        return command("publish", Json.MAPPER.createObjectNode().put("channel", room).set("data", data));
    }

    /** Publication pushes received so far for {@code room}: the {@code pub} objects in arrival order. */
    public List<JsonNode> publications(String room) {
        List<JsonNode> pubs = new ArrayList<>();
        for (JsonNode n : ws.lines()) {
            JsonNode push = n.path("push");
            if (push.path("channel").asText().equals(room) && push.has("pub")) {
                pubs.add(push.get("pub"));
            }
        }
        return pubs;
    }

    /** Waits until at least {@code count} publications of {@code room} arrived; returns them all. */
    public List<JsonNode> awaitPublications(String room, int count, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            List<JsonNode> pubs = publications(room);
            if (pubs.size() >= count) {
                return pubs;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " publications in " + room + " within " + wait
                        + ", got " + pubs.size() + ": " + pubs);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted");
            }
        }
    }

    public List<JsonNode> awaitPublications(String room, int count) {
        return awaitPublications(room, count, TestWebSocket.DEFAULT_WAIT);
    }

    @Override
    public void close() {
        ws.close();
    }
}
