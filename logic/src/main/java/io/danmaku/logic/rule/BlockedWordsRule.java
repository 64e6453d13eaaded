package io.danmaku.logic.rule;

import static java.util.Objects.requireNonNull;

import io.danmaku.protocol.logging.ThrottledLog;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.Normalizer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ahocorasick.trie.Trie;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blocked words: refuses a text containing any of the configured words or the words of the word file, anywhere
 * (substring match, so it works for languages written without spaces). Matching is case-insensitive and both
 * sides are NFKC-normalized first, so full-width letters (ＡＢＣ) match their ASCII forms. One Aho–Corasick
 * automaton covers every word: the cost is linear in the text, whatever the size of the list.
 *
 * <p>The word file holds one word per line; blank lines and lines starting with {@code #} are skipped. Its
 * modification time is checked at most once per interval, on the executor (never on the posting thread), and
 * the file is read again when it changed; {@link #reload()} reads it at once. The automaton is rebuilt aside
 * and swapped in atomically. A file that cannot be read keeps the previous words (logged).
 *
 * <p>The rejection never names the word: the list stays private.
 */
public final class BlockedWordsRule implements PostRule {
    public static final String MESSAGE = "text: contains a blocked word";
    private static final Rejection BLOCKED = new Rejection(RejectReason.BLOCKED_WORD, MESSAGE);

    private static final Logger LOG = LoggerFactory.getLogger(BlockedWordsRule.class);

    /** The words in force: the automaton ({@code null} when there are none), and the file version they came from. */
    private record Snapshot(Trie trie, int wordCount, FileTime fileTime) {
    }

    private final List<String> configuredWords;
    private final Path file;
    private final long checkIntervalMillis;
    private final Clock clock;
    private final Executor executor;
    private final AtomicBoolean checking = new AtomicBoolean();
    private final ThrottledLog warn = new ThrottledLog(LOG, Duration.ofMinutes(1));
    private volatile Snapshot snapshot;
    private volatile long nextCheckMillis;

    /**
     * Reads the file (if any) now.
     *
     * @param words configured words, always blocked
     * @param file the word file, or {@code null}
     * @param checkInterval how often the file's modification time is checked
     * @param executor runs the checks and reloads triggered by posts
     * @throws IllegalArgumentException when the file cannot be read
     */
    public BlockedWordsRule(List<String> words, Path file, Duration checkInterval, Clock clock, Executor executor) {
        this.configuredWords = List.copyOf(requireNonNull(words, "words"));
        this.file = file;
        this.checkIntervalMillis = requireNonNull(checkInterval, "checkInterval").toMillis();
        this.clock = requireNonNull(clock, "clock");
        this.executor = requireNonNull(executor, "executor");
        try {
            reload();
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("logic.blocked-words.file: " + file + " (expected: a readable file: "
                    + e.getCause() + ")", e);
        }
    }

    @Override
    public CompletableFuture<Void> check(PostBatch batch) {
        maybeCheckFile();
        Trie trie = snapshot.trie;
        if (trie == null) {
            return PostRule.done();
        }
        for (int i = 0; i < batch.size(); i++) {
            String text = batch.post(i).text();
            if (batch.passing(i) && text != null && trie.containsMatch(normalize(text))) {
                batch.reject(i, BLOCKED);
            }
        }
        return PostRule.done();
    }

    /** Whether {@code text} contains a blocked word. */
    public boolean matches(String text) {
        Trie trie = snapshot.trie;
        return trie != null && trie.containsMatch(normalize(text));
    }

    /**
     * Reads the word file again now (if one is configured) and swaps in the new automaton.
     *
     * @return the number of distinct words in force
     * @throws UncheckedIOException when the file cannot be read; the previous words stay in force
     */
    public synchronized int reload() {
        Set<String> words = new LinkedHashSet<>();
        for (String w : configuredWords) {
            addWord(words, w);
        }
        FileTime fileTime = null;
        if (file != null) {
            try {
                fileTime = Files.getLastModifiedTime(file);
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    String w = line.strip();
                    if (w.startsWith("\uFEFF")) {
                        w = w.substring(1).strip();
                    }
                    if (!w.isEmpty() && !w.startsWith("#")) {
                        addWord(words, w);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read blocked words file " + file, e);
            }
        }
        Trie trie = words.isEmpty() ? null : Trie.builder().ignoreCase().addKeywords(new ArrayList<>(words)).build();
        Snapshot previous = snapshot;
        snapshot = new Snapshot(trie, words.size(), fileTime);
        nextCheckMillis = clock.millis() + checkIntervalMillis;
        if (previous != null) {
            LOG.info("blocked words reloaded: {} words (was {})", words.size(), previous.wordCount);
        } else {
            LOG.info("blocked words loaded: {} words{}", words.size(), file == null ? "" : " (file " + file + ")");
        }
        return words.size();
    }

    /** The number of distinct words in force. */
    public int wordCount() {
        return snapshot.wordCount;
    }

    private void maybeCheckFile() {
        if (file == null || clock.millis() < nextCheckMillis || !checking.compareAndSet(false, true)) {
            return;
        }
        nextCheckMillis = clock.millis() + checkIntervalMillis;
        try {
            executor.execute(() -> {
                try {
                    reloadIfModified();
                } finally {
                    checking.set(false);
                }
            });
        } catch (RejectedExecutionException e) {
            checking.set(false);
        }
    }

    private void reloadIfModified() {
        try {
            FileTime current = Files.getLastModifiedTime(file);
            if (!current.equals(snapshot.fileTime)) {
                reload();
            }
        } catch (IOException | UncheckedIOException e) {
            warn.warn("blocked words file {} cannot be read, keeping the previous {} words: {}", file,
                    snapshot.wordCount, e.toString());
        }
    }

    private static void addWord(Set<String> words, String word) {
        String w = normalize(word.strip());
        if (!w.isEmpty()) {
            words.add(w);
        }
    }

    private static String normalize(String s) {
        return Normalizer.normalize(s, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    }
}
