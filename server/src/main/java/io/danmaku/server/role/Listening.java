package io.danmaku.server.role;

import io.danmaku.server.ListenException;

/** Binds a role's port and turns a bind failure into a {@link ListenException} naming the key and address. */
final class Listening {
    private Listening() {
    }

    /** What binds a port; may throw what the transport throws (Netty's {@code sync()} throws checked ones undeclared). */
    @FunctionalInterface
    interface Bind<T> {
        T bind() throws Exception;
    }

    static <T> T bind(String key, String host, int port, Bind<T> bind) {
        try {
            return bind.bind();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + key + " " + host + ":" + port, e);
        } catch (ListenException e) {
            throw e;
        } catch (Exception e) {
            if (ListenException.isBindFailure(e)) {
                throw ListenException.of(key, host, port, e);
            }
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(key + " " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
