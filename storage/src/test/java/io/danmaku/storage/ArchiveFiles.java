package io.danmaku.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads an archive the way an operator would: the files of a stream directory, final segments decompressed
 * with zstd-jni, each line parsed as JSON on its own.
 */
public final class ArchiveFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ArchiveFiles() {
    }

    /** File names in {@code dir}, sorted. */
    public static List<String> names(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Final segments ({@code .ndjson.zst}) of {@code dir}, by first offset; none when it does not exist. */
    public static List<Path> finals(Path dir) {
        return segments(dir, ".ndjson.zst");
    }

    /** Open segments ({@code .ndjson.open}) of {@code dir}, by first offset. */
    public static List<Path> opens(Path dir) {
        return segments(dir, ".ndjson.open");
    }

    private static List<Path> segments(Path dir, String suffix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix))
                    .sorted(Comparator.comparingLong(ArchiveFiles::firstOffset))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static long firstOffset(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.indexOf('.')));
    }

    /** The lines of one segment, decompressing a final one, each parsed. */
    public static List<JsonNode> lines(Path segment) {
        try (InputStream raw = Files.newInputStream(segment);
             InputStream in = segment.toString().endsWith(".zst") ? new ZstdInputStream(raw) : raw;
             BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<JsonNode> out = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                out.add(MAPPER.readTree(line));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every line of the stream in {@code dir}: all segments, final and open, in offset order of their files. */
    public static List<JsonNode> streamLines(Path dir) {
        List<Path> all = new ArrayList<>(finals(dir));
        all.addAll(opens(dir));
        all.sort(Comparator.comparingLong(ArchiveFiles::firstOffset));
        List<JsonNode> out = new ArrayList<>();
        for (Path p : all) {
            out.addAll(lines(p));
        }
        return out;
    }

    /** The offsets of {@link #streamLines}. */
    public static List<Long> streamOffsets(Path dir) {
        return streamLines(dir).stream().map(n -> n.get("offset").asLong()).toList();
    }

    public static JsonNode json(Path file) {
        try {
            return MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
