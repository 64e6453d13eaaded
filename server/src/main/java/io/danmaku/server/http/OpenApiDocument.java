package io.danmaku.server.http;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.danmaku.protocol.api.ApiResponse;
import io.danmaku.protocol.api.HttpApi;
import io.danmaku.protocol.json.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * The OpenAPI 3.1 description of the server API and the history API ({@code openapi.json} next to this class, the
 * one source), served at {@value #PATH} by each server with the paths that server answers: logic the server API,
 * storage the history API, standalone both. {@link #serving} puts it in front of the server's API.
 */
public final class OpenApiDocument {
    public static final String PATH = "/api/openapi.json";
    /** The server API's paths. */
    public static final Predicate<String> SERVER_API = path -> !path.startsWith("/api/rooms/");
    /** The history API's path. */
    public static final Predicate<String> HISTORY_API = path -> path.startsWith("/api/rooms/");

    private OpenApiDocument() {
    }

    /** The whole document, as checked in. */
    public static ObjectNode full() {
        try (InputStream in = OpenApiDocument.class.getResourceAsStream("openapi.json")) {
            if (in == null) {
                throw new IllegalStateException("openapi.json missing from the class path");
            }
            return (ObjectNode) Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("openapi.json unreadable", e);
        }
    }

    /** The document with the paths {@code served} accepts, and {@value #PATH} itself. */
    public static ObjectNode forPaths(Predicate<String> served) {
        requireNonNull(served, "served");
        ObjectNode document = full();
        ObjectNode paths = (ObjectNode) document.get("paths");
        List<String> drop = new ArrayList<>();
        paths.fieldNames().forEachRemaining(path -> {
            if (!path.equals(PATH) && !served.test(path)) {
                drop.add(path);
            }
        });
        paths.remove(drop);
        return document;
    }

    /** The path names of {@code document}. */
    public static Set<String> paths(ObjectNode document) {
        Set<String> names = new TreeSet<>();
        document.get("paths").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** {@code api}, with {@code GET} {@value #PATH} answered with the paths {@code served} accepts. */
    public static HttpApi serving(Predicate<String> served, HttpApi api) {
        requireNonNull(api, "api");
        ApiResponse document = ApiResponse.json(200, forPaths(served));
        return request -> {
            if (!request.path().equals(PATH)) {
                return api.handle(request);
            }
            if (!"GET".equalsIgnoreCase(request.method()) && !"HEAD".equalsIgnoreCase(request.method())) {
                return CompletableFuture.completedFuture(ApiResponse.error(405, 107, "bad request: HTTP method "
                        + request.method() + " not allowed (expected: GET)"));
            }
            return CompletableFuture.completedFuture(document);
        };
    }
}
