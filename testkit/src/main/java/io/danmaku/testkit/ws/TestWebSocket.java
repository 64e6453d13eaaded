package io.danmaku.testkit.ws;

import com.fasterxml.jackson.databind.JsonNode;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * A WebSocket client that keeps everything it received: text frames (and each newline-separated JSON line of
 * them), binary frames, and the close code and reason. Thread-safe; waits are bounded.
 */
public final class TestWebSocket implements AutoCloseable {
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(10);

    private final Object lock = new Object();
    private final List<String> frames = new ArrayList<>();
    private final List<JsonNode> lines = new ArrayList<>();
    private final List<byte[]> binaryFrames = new ArrayList<>();
    private final CompletableFuture<Close> closed = new CompletableFuture<>();
    private WebSocket ws;

    /** Both sides' close information. */
    public record Close(int code, String reason) {
    }

    public static TestWebSocket connect(URI uri) {
        return connect(uri, null);
    }

    /**
     * Opens {@code uri}; a {@code wss://} one with {@code ssl} (which decides whom to trust), or with the JDK's
     * default context when {@code ssl} is null.
     */
    public static TestWebSocket connect(URI uri, SSLContext ssl) {
        return connect(uri, ssl, new String[0]);
    }

    /**
     * Opens {@code uri} offering {@code subprotocols} (most preferred first; none: no
     * {@code Sec-WebSocket-Protocol} header); {@link #subprotocol()} tells what the server chose.
     */
    public static TestWebSocket connect(URI uri, SSLContext ssl, String... subprotocols) {
        return connect(uri, ssl, Map.of(), subprotocols);
    }

    /**
     * Opens {@code uri} sending {@code headers} with the upgrade request (names the JDK's WebSocket client sets
     * itself, such as {@code Host} or {@code Sec-WebSocket-*}, are refused by it), offering {@code subprotocols}.
     */
    public static TestWebSocket connect(URI uri, SSLContext ssl, Map<String, String> headers,
                                        String... subprotocols) {
        TestWebSocket t = new TestWebSocket();
        HttpClient.Builder client = HttpClient.newBuilder();
        if (ssl != null) {
            client.sslContext(ssl);
        }
        WebSocket.Builder builder = client.build().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        headers.forEach(builder::header);
        if (subprotocols.length > 0) {
            builder.subprotocols(subprotocols[0],
                    java.util.Arrays.copyOfRange(subprotocols, 1, subprotocols.length));
        }
        t.ws = builder
                .buildAsync(uri, t.new Listener())
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        return t;
    }

    public void send(String text) {
        ws.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The subprotocol the server chose, empty when none. */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    public void sendBinary(byte[] bytes) {
        ws.sendBinary(ByteBuffer.wrap(bytes), true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** Every JSON line received so far. */
    public List<JsonNode> lines() {
        synchronized (lock) {
            return List.copyOf(lines);
        }
    }

    /** Every text frame received so far, as sent (lines joined by newlines). */
    public List<String> frames() {
        synchronized (lock) {
            return List.copyOf(frames);
        }
    }

    public List<byte[]> binaryFrames() {
        synchronized (lock) {
            return List.copyOf(binaryFrames);
        }
    }

    /** Waits for the first line matching {@code p} (already received or arriving within {@code wait}). */
    public JsonNode await(Predicate<JsonNode> p, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            while (true) {
                for (JsonNode n : lines) {
                    if (p.test(n)) {
                        return n;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no matching message within " + wait + "; received: " + lines
                            + (closed.isDone() ? "; closed: " + closed.join() : ""));
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted");
                }
            }
        }
    }

    public JsonNode await(Predicate<JsonNode> p) {
        return await(p, DEFAULT_WAIT);
    }

    /** Waits until the server closed the connection; returns its close code and reason. */
    public Close awaitClose(Duration wait) {
        try {
            return closed.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection not closed within " + wait + "; received: " + lines(), e);
        }
    }

    public Close awaitClose() {
        return awaitClose(DEFAULT_WAIT);
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    /** Closes from the client side (1000) without waiting for the server. */
    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        ws.abort();
    }

    /** Drops the TCP connection without a close frame (a crashed client). */
    public void abort() {
        ws.abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String frame = text.toString();
                text.setLength(0);
                synchronized (lock) {
                    frames.add(frame);
                    for (String line : frame.split("\n")) {
                        if (!line.isBlank()) {
                            try {
                                lines.add(Json.MAPPER.readTree(line));
                            } catch (IOException e) {
                                lines.add(Json.MAPPER.getNodeFactory().textNode("UNPARSABLE: " + line));
                            }
                        }
                    }
                    lock.notifyAll();
                }
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                synchronized (lock) {
                    binaryFrames.add(binary.toByteArray());
                    lock.notifyAll();
                }
                binary.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(new Close(statusCode, reason));
            synchronized (lock) {
                lock.notifyAll();
            }
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(new Close(1006, String.valueOf(error)));
            synchronized (lock) {
                lock.notifyAll();
            }
        }
    }
}
