package io.danmaku.storage.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The index file written next to each final segment, {@code <firstOffset>.idx}: one JSON object
 * {@code {"version":1,"firstOffset","lastOffset","epoch","minTime","maxTime","records","bytes",
 * "compressedBytes","rooms":[...]}} (times in ms since the epoch, {@code bytes} uncompressed, rooms sorted).
 * It lets the archive start without decompressing its segments and lets operators see what a segment holds.
 */
final class SegmentIndex {
    static final int VERSION = 1;

    private SegmentIndex() {
    }

    static byte[] encode(SegmentStats s, long compressedBytes) throws IOException {
        ObjectNode o = ArchiveLine.LINE_MAPPER.createObjectNode();
        o.put("version", VERSION);
        o.put("firstOffset", s.firstOffset);
        o.put("lastOffset", s.lastOffset);
        o.put("epoch", s.epoch);
        o.put("minTime", s.minTime);
        o.put("maxTime", s.maxTime);
        o.put("records", s.records);
        o.put("bytes", s.bytes);
        o.put("compressedBytes", compressedBytes);
        ArrayNode rooms = o.putArray("rooms");
        new TreeSet<>(s.rooms).forEach(rooms::add);
        byte[] json = ArchiveLine.LINE_MAPPER.writeValueAsBytes(o);
        byte[] withNewline = new byte[json.length + 1];
        System.arraycopy(json, 0, withNewline, 0, json.length);
        withNewline[json.length] = '\n';
        return withNewline;
    }

    /** The catalog entry for final segment {@code segment} from its index file, or null if that is unusable. */
    static Segment read(Path index, String stream, Path segment) {
        try {
            return parse(Files.readAllBytes(index), stream, segment);
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The catalog entry of a sealed segment from its index, or null if that is unusable; {@code segment} is its
     * local file, or null when it is in a shared store.
     */
    static Segment parse(byte[] index, String stream, Path segment) {
        try {
            JsonNode o = ArchiveLine.LINE_MAPPER.readTree(index);
            if (o == null || !o.isObject() || o.path("version").asInt() != VERSION) {
                return null;
            }
            JsonNode rooms = o.get("rooms");
            String epoch = o.path("epoch").textValue();
            if (rooms == null || !rooms.isArray() || epoch == null || !o.path("lastOffset").canConvertToLong()) {
                return null;
            }
            List<String> names = new ArrayList<>(rooms.size());
            rooms.forEach(r -> names.add(r.asText()));
            return new Segment(stream, o.path("firstOffset").asLong(), o.path("lastOffset").asLong(), epoch,
                    o.path("minTime").asLong(), o.path("maxTime").asLong(), o.path("records").asLong(),
                    o.path("bytes").asLong(), RoomFilter.of(names), segment, false);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
