package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Sealed segments in the archive directory: {@code <root>/<stream>/<firstOffset>.ndjson.zst} and its
 * {@code <firstOffset>.idx}, the layout of docs/ARCHIVE.md. A put moves (or copies) the compressed file into
 * place through a {@code .tmp} name and an atomic rename, fsync'ed, then writes the index the same way; the
 * directory is fsync'ed after both. Not shared: each storage process owns its directory.
 */
public final class LocalArchiveStore implements ArchiveStore {
    private static final Pattern INDEX_FILE = Pattern.compile("(\\d{1,18})\\.idx");

    private final Path root;

    public LocalArchiveStore(Path root) {
        this.root = requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public boolean shared() {
        return false;
    }

    /** The directory of {@code stream}. */
    Path dir(String stream) {
        return root.resolve(stream);
    }

    Path segmentPath(SegmentKey key) {
        return dir(key.stream()).resolve(key.firstOffset() + ArchiveWriter.FINAL_SUFFIX);
    }

    Path indexPath(SegmentKey key) {
        return dir(key.stream()).resolve(key.firstOffset() + ArchiveWriter.INDEX_SUFFIX);
    }

    @Override
    public void put(SegmentKey key, Path compressed, byte[] index) throws IOException {
        Path dir = dir(key.stream());
        Files.createDirectories(dir);
        Path target = segmentPath(key);
        if (!compressed.toAbsolutePath().getParent().equals(dir)) {
            Path tmp = dir.resolve(key.firstOffset() + ArchiveWriter.FINAL_SUFFIX + ArchiveWriter.TMP_SUFFIX);
            Files.copy(compressed, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            compressed = tmp;
        }
        Files.move(compressed, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Path indexTmp = dir.resolve(key.firstOffset() + ArchiveWriter.INDEX_SUFFIX + ArchiveWriter.TMP_SUFFIX);
        ArchiveWriter.writeDurably(indexTmp, index);
        Files.move(indexTmp, indexPath(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(dir);
    }

    @Override
    public List<SegmentKey> list() throws IOException {
        List<SegmentKey> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        List<Path> dirs;
        try (Stream<Path> walk = Files.walk(root)) {
            dirs = walk.filter(Files::isDirectory).filter(d -> !d.equals(root)).toList();
        }
        for (Path d : dirs) {
            out.addAll(list(streamName(d)));
        }
        out.sort(null);
        return out;
    }

    @Override
    public List<SegmentKey> list(String stream) throws IOException {
        Path dir = dir(stream);
        List<SegmentKey> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Matcher m = INDEX_FILE.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.add(new SegmentKey(stream, Long.parseLong(m.group(1))));
                }
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public byte[] readIndex(SegmentKey key) throws IOException {
        return Files.readAllBytes(indexPath(key));
    }

    @Override
    public InputStream open(SegmentKey key) throws IOException {
        return Files.newInputStream(segmentPath(key));
    }

    @Override
    public void delete(SegmentKey key) throws IOException {
        boolean segment = Files.deleteIfExists(segmentPath(key));
        boolean index = Files.deleteIfExists(indexPath(key));
        if (segment || index) {
            fsyncDirectory(dir(key.stream()));
        }
    }

    @Override
    public void putTombstone(String room, String name, byte[] content) throws IOException {
        Path dir = root.resolve(TOMBSTONES).resolve(room);
        Files.createDirectories(dir);
        Path tmp = dir.resolve(name + ".json" + ArchiveWriter.TMP_SUFFIX);
        ArchiveWriter.writeDurably(tmp, content);
        Files.move(tmp, dir.resolve(name + ".json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(dir);
    }

    @Override
    public List<byte[]> tombstones(String room) throws IOException {
        Path dir = root.resolve(TOMBSTONES).resolve(room);
        List<byte[]> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.json")) {
            for (Path p : ds) {
                out.add(Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Override
    public String describe() {
        return root.toString();
    }

    @Override
    public void close() {
    }

    @Override
    public String toString() {
        return "LocalArchiveStore[" + root + "]";
    }

    private String streamName(Path dir) {
        StringBuilder sb = new StringBuilder();
        for (Path part : root.relativize(dir)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
