package io.danmaku.logic.rule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.logic.TestClock;
import io.danmaku.protocol.UserRef;
import io.danmaku.protocol.post.PostRequest;
import io.danmaku.protocol.post.RejectReason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockedWordsRuleTest {
    private static final Executor DIRECT = Runnable::run;
    private final TestClock clock = new TestClock();

    @TempDir
    Path dir;

    private static PostRequest post(String text) {
        return new PostRequest("live.1", new UserRef("u1", "Alice"), text, null, null, null);
    }

    private BlockedWordsRule rule(List<String> words, Path file) {
        return new BlockedWordsRule(words, file, Duration.ofSeconds(10), clock, DIRECT);
    }

    @Test
    void aTextWithoutBlockedWordsPasses() {
        assertThat(Judge.check(rule(List.of("spam"), null), post("hello there")).join()).isNull();
    }

    @Test
    void aBlockedWordAnywhereInTheTextIsRejectedWithoutEchoingIt() {
        BlockedWordsRule rule = rule(List.of("spam", "坏词"), null);
        Rejection r = Judge.check(rule, post("buy cheap spam now")).join();
        assertThat(r.reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(r.message()).isEqualTo("text: contains a blocked word").doesNotContain("spam");
        // no word boundaries needed: languages written without spaces
        assertThat(Judge.check(rule, post("这是坏词啊")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("spammer")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
    }

    @Test
    void matchingIgnoresCaseAndFullWidthForms() {
        BlockedWordsRule rule = rule(List.of("SpAm"), null);
        assertThat(Judge.check(rule, post("SPAM")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("spam")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("ｓｐａｍ")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("ＳＰＡＭ")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("s p a m")).join()).isNull();
    }

    @Test
    void noWordsBlockNothing() {
        BlockedWordsRule rule = rule(List.of(), null);
        assertThat(rule.wordCount()).isZero();
        assertThat(Judge.check(rule, post("anything")).join()).isNull();
    }

    @Test
    void wordsComeFromTheFileSkippingCommentsAndBlankLines() throws IOException {
        Path file = dir.resolve("words.txt");
        Files.writeString(file, "\uFEFF# blocked words\n\nfoo\n  bar  \n#baz\n", StandardCharsets.UTF_8);
        BlockedWordsRule rule = rule(List.of("spam"), file);
        assertThat(rule.wordCount()).isEqualTo(3);
        assertThat(Judge.check(rule, post("a FOO b")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("bar")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("spam")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("baz")).join()).isNull();
        assertThat(Judge.check(rule, post("# blocked words")).join()).isNull();
    }

    @Test
    void reloadReadsTheFileAgain() throws IOException {
        Path file = dir.resolve("words.txt");
        Files.writeString(file, "foo\n");
        BlockedWordsRule rule = rule(List.of(), file);
        assertThat(Judge.check(rule, post("bar")).join()).isNull();

        Files.writeString(file, "bar\n");
        assertThat(rule.reload()).isEqualTo(1);
        assertThat(Judge.check(rule, post("bar")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(Judge.check(rule, post("foo")).join()).isNull();
    }

    @Test
    void aChangedFileIsPickedUpAfterTheCheckInterval() throws IOException {
        Path file = dir.resolve("words.txt");
        Files.writeString(file, "foo\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000));
        BlockedWordsRule rule = rule(List.of(), file);

        Files.writeString(file, "foo\nbar\n");
        Files.setLastModifiedTime(file, FileTime.fromMillis(2_000_000));
        // not checked before the interval passed
        assertThat(Judge.check(rule, post("bar")).join()).isNull();
        clock.advance(Duration.ofSeconds(10));
        assertThat(Judge.check(rule, post("bar")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThat(rule.wordCount()).isEqualTo(2);
    }

    @Test
    void anUnchangedFileIsNotReadAgain() throws IOException {
        Path file = dir.resolve("words.txt");
        Files.writeString(file, "foo\n");
        FileTime time = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(file, time);
        BlockedWordsRule rule = rule(List.of(), file);

        // same modification time: the content change is not seen until an explicit reload
        Files.writeString(file, "bar\n");
        Files.setLastModifiedTime(file, time);
        clock.advance(Duration.ofSeconds(10));
        assertThat(Judge.check(rule, post("bar")).join()).isNull();
        rule.reload();
        assertThat(Judge.check(rule, post("bar")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
    }

    @Test
    void aFileThatDisappearsKeepsThePreviousWords() throws IOException {
        Path file = dir.resolve("words.txt");
        Files.writeString(file, "foo\n");
        BlockedWordsRule rule = rule(List.of(), file);
        Files.delete(file);
        clock.advance(Duration.ofSeconds(10));
        assertThat(Judge.check(rule, post("foo")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
        assertThatThrownBy(rule::reload).isInstanceOf(java.io.UncheckedIOException.class);
        assertThat(Judge.check(rule, post("foo")).join().reason()).isEqualTo(RejectReason.BLOCKED_WORD);
    }

    @Test
    void aMissingFileAtStartIsAConfigurationError() {
        Path missing = dir.resolve("nope.txt");
        assertThatThrownBy(() -> rule(List.of(), missing))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("logic.blocked-words.file: " + missing);
    }
}
