package io.danmaku.storage.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.danmaku.storage.archive.ArchiveStore.SegmentKey;
import io.danmaku.testkit.s3.S3ProxyExtension;
import io.danmaku.testkit.s3.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** The store contract on a real S3 API: S3Proxy with its filesystem backend, a bucket per test. */
@ExtendWith(S3ProxyExtension.class)
class S3ArchiveStoreTest extends ArchiveStoreContract {
    private static final AtomicInteger BUCKETS = new AtomicInteger();
    static S3ProxyServer s3;
    String bucket;

    @BeforeAll
    static void server(S3ProxyServer server) {
        s3 = server;
    }

    static S3ArchiveConfig config(S3ProxyServer server, String bucket) {
        return S3ArchiveConfig.of(URI.create(server.endpoint()), bucket, server.accessKey(), server.secretKey());
    }

    @Override
    ArchiveStore newStore() {
        bucket = s3.createBucket("store-contract-" + BUCKETS.incrementAndGet());
        return new S3ArchiveStore(config(s3, bucket).withPrefix("archive/test"));
    }

    @Override
    void putSegmentOnly(SegmentKey key, byte[] content) throws IOException {
        Path file = Files.write(scratch.resolve("only-" + key.firstOffset()), content);
        // the index is what makes a segment part of the archive: put the segment as the store would, no index
        S3ArchiveStore s = (S3ArchiveStore) store;
        try (S3Client client = client(s3)) {
            client.putObject(b -> b.bucket(bucket).key(s.key(key, ".ndjson.zst")), RequestBody.fromFile(file));
        }
    }

    /**
     * A plain SDK client for S3Proxy. Without WHEN_REQUIRED the SDK's default checksums (aws-chunked uploads with
     * trailing CRCs) are refused by S3Proxy ("x-amz-content-sha256 does not match"), which is why the store
     * sets it too.
     */
    static S3Client client(S3ProxyServer server) {
        return S3Client.builder()
                .endpointOverride(URI.create(server.endpoint()))
                .forcePathStyle(true)
                .region(Region.of(server.region()))
                .httpClient(UrlConnectionHttpClient.create())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(server.accessKey(),
                        server.secretKey())))
                .build();
    }

    @Test
    void keysCarryThePrefixTheStreamAndTwentyDigitOffsets() throws IOException {
        store.put(new SegmentKey("t/p-0", 17), Files.writeString(scratch.resolve("17"), "z"), new byte[] {'{', '}'});

        Path objects = s3.dataDir().resolve(bucket);
        try (Stream<Path> files = Files.walk(objects)) {
            assertThat(files.filter(Files::isRegularFile).map(p -> objects.relativize(p).toString().replace('\\', '/')))
                    .containsExactlyInAnyOrder("archive/test/t/p-0/00000000000000000017.ndjson.zst",
                            "archive/test/t/p-0/00000000000000000017.idx");
        }
        assertThat(store.shared()).isTrue();
        assertThat(store.describe()).isEqualTo("s3://" + bucket + "/archive/test at " + s3.endpoint());
    }

    @Test
    void wrongCredentialsFailAsAnIoError() {
        try (S3ArchiveStore wrong = new S3ArchiveStore(S3ArchiveConfig.of(URI.create(s3.endpoint()), bucket,
                s3.accessKey(), "not-the-secret"))) {
            assertThatThrownBy(wrong::list).isInstanceOf(IOException.class).hasMessageContaining(bucket)
                    .hasMessageNotContaining("not-the-secret");
        }
    }
}
