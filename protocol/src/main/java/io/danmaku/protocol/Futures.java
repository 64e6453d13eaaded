package io.danmaku.protocol;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** Helpers for the failures of futures. */
public final class Futures {
    private Futures() {
    }

    /**
     * The failure a future's stage actually threw: {@code t} without the {@link CompletionException} and
     * {@link ExecutionException} wrappers that composing and joining futures put around it.
     */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
