package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One connection's calls to the backend: bounded in flight ({@link BackendConfig#maxInFlight}, every kind together),
 * answers handed back to the connection's event loop. A connection's publishes are answered in the order they were
 * made, whatever order the backend answers in, so that its posts reach logic in the order the client sent them.
 * Made at the connection's first call (most never make one). Confined to the event loop.
 */
public final class BackendCalls {
    /** Centrifugo's error codes used here. */
    public static final int ERROR_METHOD_NOT_FOUND = 104;
    public static final int ERROR_TOO_MANY_REQUESTS = 111;

    private final BackendProxy proxy;
    private final EventLoop loop;
    /** Calls out, and publishes answered but waiting for an earlier one (they count until handed on). */
    private int inFlight;
    /** The publishes not handed on yet, oldest first; null while there are none. */
    private ArrayDeque<PendingPublish> publishes;

    public BackendCalls(BackendProxy proxy, EventLoop loop) {
        this.proxy = proxy;
        this.loop = loop;
    }

    /**
     * Runs an rpc command ({@code method}, and its {@code data} or null); {@code answer} is called on the event loop,
     * at once for an rpc that does not go out: 104 when no backend is configured, 111 beyond the in-flight bound.
     */
    public void rpc(BackendCall call, String method, JsonNode data, Consumer<ProxyAnswer<String>> answer) {
        if (!proxy.rpcEnabled()) {
            proxy.countDropped("rpc", "unconfigured");
            answer.accept(new ProxyAnswer.Error<>(ERROR_METHOD_NOT_FOUND, "method not found: rpc", false));
            return;
        }
        if (!admitted("rpc", answer)) {
            return;
        }
        whenAnswered(proxy.rpc(call, method == null ? "" : method, data), answer);
    }

    /** Posts a send command's data to the backend; dropped (counted) when none is configured or beyond the bound. */
    public void send(BackendCall call, JsonNode data) {
        if (!proxy.sendEnabled()) {
            proxy.countDropped("send", "unconfigured");
            return;
        }
        if (!admitted("send", null)) {
            return;
        }
        proxy.send(call, data).thenRun(() -> loop.execute(() -> inFlight--));
    }

    /**
     * Authenticates a connect through the connect proxy ({@code gateway.backend.connect-url}, which must be set);
     * {@code answer} is called on the event loop.
     */
    public void connect(ConnectCall call, Consumer<ProxyAnswer<ConnectResult>> answer) {
        if (!admitted("connect", answer)) {
            return;
        }
        whenAnswered(proxy.connect(call), answer);
    }

    /**
     * Asks the publish proxy ({@code gateway.backend.publish-url}, which must be set) about a client's publish;
     * {@code answer} is called on the event loop, after the answers to this connection's earlier publishes
     * (an answer that arrives first waits for them). Beyond the in-flight bound: 111 at once (nothing is posted,
     * so the order of posts is not affected).
     */
    public void publish(BackendCall call, String channel, JsonNode data, Consumer<ProxyAnswer<JsonNode>> answer) {
        if (!admitted("publish", answer)) {
            return;
        }
        PendingPublish p = new PendingPublish(answer);
        if (publishes == null) {
            publishes = new ArrayDeque<>(4);
        }
        publishes.add(p);
        proxy.publish(call, channel, data).thenAccept(a -> loop.execute(() -> {
            p.answer = a;
            handOnPublishes();
        }));
    }

    /** Hands on the answered publishes at the head of the queue, in order; stops at the first one still out. */
    private void handOnPublishes() {
        while (publishes != null && !publishes.isEmpty() && publishes.peek().answer != null) {
            PendingPublish p = publishes.poll();
            inFlight--;
            if (publishes.isEmpty()) {
                publishes = null;
            }
            p.to.accept(p.answer);
        }
    }

    /**
     * Takes a place among the calls in flight; beyond the bound counts the call as {@code limited} and, when
     * {@code refused} is not null, answers it 111 at once.
     */
    private <T> boolean admitted(String kind, Consumer<ProxyAnswer<T>> refused) {
        if (inFlight >= proxy.config().maxInFlight()) {
            proxy.countDropped(kind, "limited");
            if (refused != null) {
                refused.accept(new ProxyAnswer.Error<>(ERROR_TOO_MANY_REQUESTS, "too many requests: at most "
                        + proxy.config().maxInFlight() + " backend calls in flight per connection", true));
            }
            return false;
        }
        inFlight++;
        return true;
    }

    private <T> void whenAnswered(CompletableFuture<ProxyAnswer<T>> call, Consumer<ProxyAnswer<T>> answer) {
        call.thenAccept(a -> loop.execute(() -> {
            inFlight--;
            answer.accept(a);
        }));
    }

    private static final class PendingPublish {
        final Consumer<ProxyAnswer<JsonNode>> to;
        /** Null while the backend has not answered. */
        ProxyAnswer<JsonNode> answer;

        PendingPublish(Consumer<ProxyAnswer<JsonNode>> to) {
            this.to = to;
        }
    }
}
