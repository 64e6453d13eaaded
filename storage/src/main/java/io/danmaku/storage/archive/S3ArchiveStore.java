package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Sealed segments in an S3-compatible bucket, shared by every storage process:
 * {@code <prefix>/<stream>/<firstOffset>.ndjson.zst} and {@code <prefix>/<stream>/<firstOffset>.idx}, the first
 * offset written with 20 digits so that the bucket lists a stream's segments in offset order (and a listing can
 * start after the newest segment it knows). The AWS SDK for Java v2 on its blocking URL-connection client:
 * path-style addressing when configured, static credentials or the SDK's default chain, checksums only where
 * the API requires them (so S3-compatible servers that lack the newer checksum headers work), the SDK's
 * standard retries.
 */
public final class S3ArchiveStore implements ArchiveStore {
    private static final Pattern FILE = Pattern.compile("(\\d{20})(\\.ndjson\\.zst|\\.idx)");
    private static final String SEGMENT = ArchiveWriter.FINAL_SUFFIX;
    private static final String INDEX = ArchiveWriter.INDEX_SUFFIX;

    private final S3ArchiveConfig config;
    private final S3Client s3;
    /** {@code prefix/} or empty. */
    private final String base;

    public S3ArchiveStore(S3ArchiveConfig config) {
        this.config = requireNonNull(config, "config");
        this.base = config.prefix().isEmpty() ? "" : config.prefix() + "/";
        S3ClientBuilder builder = S3Client.builder()
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30))
                        .build())
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .credentialsProvider(credentials(config))
                .overrideConfiguration(o -> o.apiCallTimeout(Duration.ofMinutes(5))
                        .apiCallAttemptTimeout(Duration.ofMinutes(2)));
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        this.s3 = builder.build();
    }

    private static AwsCredentialsProvider credentials(S3ArchiveConfig config) {
        if (config.accessKey() == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(config.accessKey(), config.secretKey()));
    }

    public S3ArchiveConfig config() {
        return config;
    }

    @Override
    public boolean shared() {
        return true;
    }

    /** The object key of a segment's file with {@code suffix}. */
    String key(SegmentKey key, String suffix) {
        return base + key.stream() + "/" + String.format("%020d", key.firstOffset()) + suffix;
    }

    @Override
    public void put(SegmentKey key, Path compressed, byte[] index) throws IOException {
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(key(key, SEGMENT)).contentType("application/zstd"),
                    RequestBody.fromFile(compressed));
            s3.putObject(b -> b.bucket(config.bucket()).key(key(key, INDEX)).contentType("application/json"),
                    RequestBody.fromBytes(index));
        } catch (SdkException e) {
            throw failure("storing segment " + key(key, SEGMENT), e);
        }
    }

    @Override
    public List<SegmentKey> list() throws IOException {
        return listing(base, null, null);
    }

    @Override
    public List<SegmentKey> list(String stream) throws IOException {
        return listing(base + stream + "/", stream, null);
    }

    @Override
    public List<SegmentKey> listAfter(String stream, long afterFirstOffset) throws IOException {
        String after = afterFirstOffset < 0 ? null : key(new SegmentKey(stream, afterFirstOffset), SEGMENT);
        return listing(base + stream + "/", stream, after);
    }

    /** Segments with an index under {@code prefix}; {@code stream} null = any depth, the stream from the key. */
    private List<SegmentKey> listing(String prefix, String stream, String startAfter) throws IOException {
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(config.bucket()).prefix(prefix);
        if (stream != null) {
            request.delimiter("/");
        }
        if (startAfter != null) {
            request.startAfter(startAfter);
        }
        List<SegmentKey> out = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(request.build()).contents()) {
                String rest = o.key().substring(base.length());
                int slash = rest.lastIndexOf('/');
                if (slash <= 0) {
                    continue;
                }
                Matcher m = FILE.matcher(rest.substring(slash + 1));
                if (m.matches() && m.group(2).equals(INDEX)) {
                    out.add(new SegmentKey(stream != null ? stream : rest.substring(0, slash),
                            Long.parseLong(m.group(1))));
                }
            }
        } catch (SdkException e) {
            throw failure("listing " + prefix, e);
        }
        out.sort(null);
        return out;
    }

    @Override
    public byte[] readIndex(SegmentKey key) throws IOException {
        String k = key(key, INDEX);
        try {
            ResponseBytes<GetObjectResponse> bytes = s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(k));
            return bytes.asByteArray();
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(k);
        } catch (SdkException e) {
            throw failure("reading " + k, e);
        }
    }

    @Override
    public InputStream open(SegmentKey key) throws IOException {
        String k = key(key, SEGMENT);
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(config.bucket()).key(k));
            return in;
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(k);
        } catch (SdkException e) {
            throw failure("reading " + k, e);
        }
    }

    @Override
    public void delete(SegmentKey key) throws IOException {
        try {
            s3.deleteObject(b -> b.bucket(config.bucket()).key(key(key, SEGMENT)));
            s3.deleteObject(b -> b.bucket(config.bucket()).key(key(key, INDEX)));
        } catch (SdkException e) {
            throw failure("deleting " + key(key, SEGMENT), e);
        }
    }

    @Override
    public void putTombstone(String room, String name, byte[] content) throws IOException {
        String k = base + TOMBSTONES + "/" + room + "/" + name + ".json";
        try {
            s3.putObject(b -> b.bucket(config.bucket()).key(k).contentType("application/json"),
                    RequestBody.fromBytes(content));
        } catch (SdkException e) {
            throw failure("storing tombstone " + k, e);
        }
    }

    @Override
    public List<byte[]> tombstones(String room) throws IOException {
        String prefix = base + TOMBSTONES + "/" + room + "/";
        List<byte[]> out = new ArrayList<>();
        try {
            for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(config.bucket()).prefix(prefix).delimiter("/"))
                    .contents()) {
                if (!o.key().endsWith(".json")) {
                    continue;
                }
                try {
                    out.add(s3.getObjectAsBytes(b -> b.bucket(config.bucket()).key(o.key())).asByteArray());
                } catch (NoSuchKeyException e) {
                    // deleted by an operator since the listing
                }
            }
        } catch (SdkException e) {
            throw failure("reading the tombstones under " + prefix, e);
        }
        return out;
    }

    @Override
    public String describe() {
        return config.describe();
    }

    @Override
    public void close() {
        s3.close();
    }

    @Override
    public String toString() {
        return "S3ArchiveStore[" + config.describe() + "]";
    }

    private IOException failure(String what, SdkException e) {
        return new IOException("S3 " + config.describe() + ": " + what + " failed: " + e.getMessage(), e);
    }
}
