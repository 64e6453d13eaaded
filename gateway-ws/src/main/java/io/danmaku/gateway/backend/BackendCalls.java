package io.danmaku.gateway.backend;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.channel.EventLoop;
import java.util.function.Consumer;

/**
 * One connection's calls to the backend: bounded in flight ({@link BackendConfig#maxInFlight}), answers handed back
 * to the connection's event loop. Made at the connection's first rpc or send (most never make one). Confined to
 * the event loop.
 */
public final class BackendCalls {
    /** Centrifugo's error codes used here. */
    public static final int ERROR_METHOD_NOT_FOUND = 104;
    public static final int ERROR_TOO_MANY_REQUESTS = 111;

    private final BackendProxy proxy;
    private final EventLoop loop;
    private int inFlight;

    public BackendCalls(BackendProxy proxy, EventLoop loop) {
        this.proxy = proxy;
        this.loop = loop;
    }

    /**
     * Runs an rpc command ({@code method}, and its {@code data} or null); {@code answer} is called on the event loop,
     * at once for an rpc that does not go out: 104 when no backend is configured, 111 beyond the in-flight bound.
     */
    public void rpc(BackendCall call, String method, JsonNode data, Consumer<RpcAnswer> answer) {
        if (!proxy.rpcEnabled()) {
            proxy.countDropped("rpc", "unconfigured");
            answer.accept(new RpcAnswer.Error(ERROR_METHOD_NOT_FOUND, "method not found: rpc", false));
            return;
        }
        if (inFlight >= proxy.config().maxInFlight()) {
            proxy.countDropped("rpc", "limited");
            answer.accept(new RpcAnswer.Error(ERROR_TOO_MANY_REQUESTS, "too many requests: at most "
                    + proxy.config().maxInFlight() + " backend calls in flight per connection", true));
            return;
        }
        inFlight++;
        proxy.rpc(call, method == null ? "" : method, data)
                .thenAccept(a -> loop.execute(() -> {
                    inFlight--;
                    answer.accept(a);
                }));
    }

    /** Posts a send command's data to the backend; dropped (counted) when none is configured or beyond the bound. */
    public void send(BackendCall call, JsonNode data) {
        if (!proxy.sendEnabled()) {
            proxy.countDropped("send", "unconfigured");
            return;
        }
        if (inFlight >= proxy.config().maxInFlight()) {
            proxy.countDropped("send", "limited");
            return;
        }
        inFlight++;
        proxy.send(call, data).thenRun(() -> loop.execute(() -> inFlight--));
    }
}
