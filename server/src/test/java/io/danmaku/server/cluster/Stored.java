package io.danmaku.server.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.luben.zstd.ZstdInputStream;
import io.danmaku.protocol.json.Json;
import io.danmaku.store.redis.RedisKeys;
import io.danmaku.testkit.redis.RedisCluster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads what storage wrote, the way an operator would, without going through the product's code: a room's
 * history stream straight from the Redis master that serves it ({@code XRANGE}), and the archive's segment
 * files ({@code .ndjson.zst} and {@code .ndjson.open}) straight from disk.
 */
final class Stored {
    private Stored() {
    }

    /** One entry of a room's Redis history stream: its entry id and the message it holds. */
    record HistoryEntry(String id, long offset, String text) {
    }

    /** One archive line and the stream directory it was found in. */
    record ArchivedLine(String stream, String room, long offset, String epoch, String text) {
    }

    /** Every entry of {@code room}'s history stream, in stream order ({@code XRANGE dm:{room}:hist - +}). */
    static List<HistoryEntry> redisHistory(RedisCluster redis, String room) {
        String key = RedisKeys.history(room);
        Object reply = redis.call(redis.masterOf(key), "XRANGE", key, "-", "+");
        List<HistoryEntry> entries = new ArrayList<>();
        for (Object e : (List<?>) reply) {
            List<?> entry = (List<?>) e;
            String id = (String) entry.get(0);
            List<?> fields = (List<?>) entry.get(1);
            String payload = null;
            for (int i = 0; i + 1 < fields.size(); i += 2) {
                if ("p".equals(fields.get(i))) {
                    payload = (String) fields.get(i + 1);
                }
            }
            entries.add(new HistoryEntry(id, Long.parseLong(id.substring(0, id.indexOf('-'))), text(payload)));
        }
        return entries;
    }

    /**
     * Every line of the archive under {@code root}, stream by stream, each stream's segments in offset order (by
     * the first offset in their names). When a segment exists both final and open (a roll between its rename and
     * the open file's deletion), the final one is read, as the archive's own recovery does. A torn last line of
     * an open segment (being written) is ignored.
     */
    static List<ArchivedLine> archive(Path root) {
        List<ArchivedLine> lines = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return lines;
        }
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(root)) {
            dirs = walk.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path dir : dirs) {
            Map<Long, Path> segments = segments(dir);
            String stream = root.relativize(dir).toString();
            for (Path segment : segments.values()) {
                for (String line : read(segment)) {
                    JsonNode json = parse(line);
                    lines.add(new ArchivedLine(stream, json.path("room").asText(), json.path("offset").asLong(),
                            json.path("epoch").asText(), json.path("msg").path("text").asText()));
                }
            }
        }
        return lines;
    }

    /** First offset → segment file of one directory: the final file where both exist. */
    private static Map<Long, Path> segments(Path dir) {
        Map<Long, Path> segments = new TreeMap<>(Comparator.naturalOrder());
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".ndjson.zst")) {
                    segments.put(Long.parseLong(name.substring(0, name.length() - ".ndjson.zst".length())), f);
                } else if (name.endsWith(".ndjson.open")) {
                    segments.putIfAbsent(Long.parseLong(name.substring(0, name.length() - ".ndjson.open".length())),
                            f);
                }
            }
        } catch (NoSuchFileException e) {
            return segments;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return segments;
    }

    private static List<String> read(Path segment) {
        byte[] bytes;
        try {
            if (segment.getFileName().toString().endsWith(".zst")) {
                try (InputStream in = new ZstdInputStream(Files.newInputStream(segment))) {
                    bytes = in.readAllBytes();
                }
            } else {
                bytes = Files.readAllBytes(segment);
            }
        } catch (NoSuchFileException e) {
            return List.of(); // rolled and removed while we listed: its final file is read instead next time
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read archive segment " + segment, e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        for (String line : text.substring(0, end).split("\n")) {
            if (!line.isEmpty()) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String text(String payload) {
        return payload == null ? null : parse(payload).path("text").asText();
    }

    private static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + json, e);
        }
    }
}
