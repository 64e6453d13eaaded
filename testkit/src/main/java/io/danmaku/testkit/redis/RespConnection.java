package io.danmaku.testkit.redis;

import static java.util.Objects.requireNonNull;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A blocking RESP2 connection to one Redis node, plain or TLS, for test set-up and assertions only (no pipelining, no
 * cluster redirects). Replies map to {@code String} (simple and bulk strings, UTF-8), {@code Long}
 * (integers), {@code List<Object>} (arrays) and {@code null} (nil); an error reply throws
 * {@link ErrorReplyException}. Not thread-safe.
 */
public final class RespConnection implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RespConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = new BufferedOutputStream(socket.getOutputStream());
    }

    /** Connects with {@code timeout} as both the connect and the read timeout. */
    public static RespConnection open(String host, int port, Duration timeout) throws IOException {
        return open(host, port, timeout, null);
    }

    /**
     * Connects over TLS with {@code tls} (its trust and its client certificate; the server's name is not checked),
     * or in plain text when it is null, with {@code timeout} as the connect, handshake and read timeout.
     */
    public static RespConnection open(String host, int port, Duration timeout, SSLContext tls) throws IOException {
        requireNonNull(host, "host");
        int timeoutMillis = Math.toIntExact(timeout.toMillis());
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            if (tls == null) {
                return new RespConnection(socket);
            }
            SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(socket, host, port, true);
            secure.startHandshake();
            return new RespConnection(secure);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** One command, one reply. */
    public Object call(String... args) throws IOException {
        StringBuilder sb = new StringBuilder().append('*').append(args.length).append("\r\n");
        out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            out.write(('$' + Integer.toString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.write('\r');
            out.write('\n');
        }
        out.flush();
        return readReply();
    }

    /** {@link #call} for a reply that is a string (or nil). */
    public String callString(String... args) throws IOException {
        Object reply = call(args);
        if (reply != null && !(reply instanceof String)) {
            throw new IllegalStateException(String.join(" ", args) + ": expected a string reply, got " + reply);
        }
        return (String) reply;
    }

    private Object readReply() throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new EOFException("connection closed by the server");
        }
        String line = readLine();
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new ErrorReplyException(line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                if (bytes.length != length + 2) {
                    throw new EOFException("connection closed inside a bulk string");
                }
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(readReply());
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type byte " + type + " (line \"" + line + "\")");
        }
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed inside a reply line");
            }
            if (b == '\r') {
                if (in.read() != '\n') {
                    throw new IOException("malformed reply line: \"" + sb + "\\r\" without \\n");
                }
                return sb.toString();
            }
            sb.append((char) b);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An error reply ({@code -ERR ...}, {@code -MOVED ...}) from the server. */
    public static final class ErrorReplyException extends RuntimeException {
        public ErrorReplyException(String message) {
            super(message);
        }
    }
}
