package io.danmaku.server.cluster;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.json.Json;
import io.danmaku.testkit.ws.CentrifugeTestClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Publishes over one client connection the way a busy client does: each {@code publish} command sent without
 * waiting for the answer to the one before, and the answers matched to the commands by id afterwards. Command
 * ids start far above those of the client's own {@link CentrifugeTestClient#command}s, so both can be used on
 * one connection. Not thread-safe: one thread sends.
 */
final class PipelinedPosts {
    private static final long FIRST_ID = 1_000_000_000L;

    /** One post sent and its answer: {@code publish} (accepted) or {@code error} (its code and message). */
    record Sent(long id, String room, String text, JsonNode reply) {
        boolean accepted() {
            return reply.has("publish");
        }

        int errorCode() {
            return reply.path("error").path("code").asInt(-1);
        }

        /** The reason code the gateway puts first in the message ({@code "duplicate: …"}); empty when accepted. */
        String reason() {
            String message = reply.path("error").path("message").asText("");
            int colon = message.indexOf(':');
            return colon < 0 ? message : message.substring(0, colon);
        }
    }

    private final CentrifugeTestClient client;
    private final Map<Long, String[]> sent = new LinkedHashMap<>();
    private long nextId = FIRST_ID;

    PipelinedPosts(CentrifugeTestClient client) {
        this.client = requireNonNull(client, "client");
    }

    CentrifugeTestClient client() {
        return client;
    }

    /** Sends a publish of {@code text} to {@code room} (with {@code clientMsgId} unless null); does not wait. */
    long send(String room, String text, String clientMsgId) {
        long id = nextId++;
        ObjectNode data = Json.MAPPER.createObjectNode().put("text", text);
        if (clientMsgId != null) {
            data.put("clientMsgId", clientMsgId);
        }
        ObjectNode command = Json.MAPPER.createObjectNode().put("id", id);
        command.putObject("publish").put("channel", room).set("data", data);
        sent.put(id, new String[] {room, text});
        client.socket().send(command.toString());
        return id;
    }

    long send(String room, String text) {
        return send(room, text, null);
    }

    /**
     * Waits up to {@code wait} until every post sent has an answer, then asserts that each has exactly one.
     *
     * @return every post sent with its answer, in sending order
     */
    List<Sent> awaitAnswers(Duration wait) {
        await("answers to " + sent.size() + " posts").atMost(wait).pollInterval(Duration.ofMillis(50))
                .until(() -> answers().keySet().containsAll(sent.keySet()));
        Map<Long, List<JsonNode>> answers = answers();
        List<Sent> all = new ArrayList<>(sent.size());
        sent.forEach((id, post) -> {
            List<JsonNode> replies = answers.get(id);
            assertThat(replies).as("answers to post %s (%s)", id, post[1]).hasSize(1);
            all.add(new Sent(id, post[0], post[1], replies.get(0)));
        });
        return all;
    }

    /** Every answer received so far to a post sent through this object, by command id. */
    private Map<Long, List<JsonNode>> answers() {
        Map<Long, List<JsonNode>> byId = new HashMap<>();
        for (JsonNode line : client.socket().lines()) {
            long id = line.path("id").asLong(0);
            if (id >= FIRST_ID && sent.containsKey(id)) {
                byId.computeIfAbsent(id, k -> new ArrayList<>(1)).add(line);
            }
        }
        return byId;
    }
}
