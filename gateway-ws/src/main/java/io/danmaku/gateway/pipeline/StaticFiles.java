package io.danmaku.gateway.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The demo page: a fixed set of small files read from the classpath once at start, so serving them never
 * touches the disk on an event loop.
 */
public final class StaticFiles {
    static final String ROOT = "io/danmaku/gateway/static/";
    private static final String[] FILES = {"index.html", "app.js", "style.css", "favicon.svg"};

    private final Map<String, Entry> files = new HashMap<>();

    public StaticFiles() {
        ClassLoader cl = StaticFiles.class.getClassLoader();
        for (String name : FILES) {
            try (InputStream in = cl.getResourceAsStream(ROOT + name)) {
                if (in != null) {
                    files.put("/" + name, new Entry(in.readAllBytes(), contentType(name)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read demo page file " + name, e);
            }
        }
        Entry index = files.get("/index.html");
        if (index != null) {
            files.put("/", index);
        }
    }

    /** The file at {@code path}, or null. */
    Entry get(String path) {
        return files.get(path);
    }

    private static String contentType(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        } else if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        } else if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        } else if (name.endsWith(".svg")) {
            return "image/svg+xml";
        }
        return "application/octet-stream";
    }

    record Entry(byte[] bytes, String contentType) {
    }
}
