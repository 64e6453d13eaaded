package io.danmaku.storage.archive;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Where and how the archive reaches its bucket ({@code storage.archive.s3.*}), validated once.
 *
 * @param endpoint the S3 API's base URL (MinIO, Ceph, S3Proxy, a cloud's S3-compatible service); null = AWS S3
 *     of {@code region}
 * @param bucket the bucket, which must exist
 * @param prefix key prefix of the archive inside the bucket, without leading or trailing slash ({@code ""} = the
 *     bucket's root)
 * @param region the signing region (any value for most S3-compatible servers)
 * @param accessKey the access key id; null = the AWS SDK's default credential chain (environment, web identity
 *     token of a Kubernetes service account, instance profile)
 * @param secretKey the secret access key, with {@code accessKey}; never logged
 * @param pathStyle {@code http://endpoint/bucket/key} rather than {@code http://bucket.endpoint/key}
 * @param refreshInterval how often the bucket is listed again for segments other storage processes sealed,
 *     at most (a history read lists it when the last listing is older)
 */
public record S3ArchiveConfig(URI endpoint, String bucket, String prefix, String region, String accessKey,
                              String secretKey, boolean pathStyle, Duration refreshInterval) {
    public static final String DEFAULT_PREFIX = "archive";
    public static final String DEFAULT_REGION = "us-east-1";
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(30);
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern PREFIX = Pattern.compile("([A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*)?");

    public S3ArchiveConfig {
        if (endpoint != null && (endpoint.getScheme() == null || endpoint.getHost() == null
                || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https")))) {
            throw new IllegalArgumentException("storage.archive.s3.endpoint: \"" + endpoint
                    + "\" (expected: an http:// or https:// URL)");
        }
        if (bucket == null || !BUCKET.matcher(bucket).matches()) {
            throw new IllegalArgumentException("storage.archive.s3.bucket: " + (bucket == null ? "unset"
                    : '"' + bucket + '"') + " (expected: a bucket name, 3..63 of a-z 0-9 . -)");
        }
        prefix = prefix == null ? "" : prefix;
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("storage.archive.s3.prefix: \"" + prefix
                    + "\" (expected: path segments of A-Z a-z 0-9 _ . = - joined by /, no leading or trailing /)");
        }
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("storage.archive.s3.region: unset (expected: a region name)");
        }
        if ((accessKey == null) != (secretKey == null)) {
            throw new IllegalArgumentException("storage.archive.s3.access-key and storage.archive.s3.secret-key:"
                    + " only one is set (expected: both, or neither for the default credential chain)");
        }
        requireNonNull(refreshInterval, "refreshInterval");
        if (refreshInterval.isNegative() || refreshInterval.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("storage.archive.s3.refresh-interval: " + refreshInterval
                    + " (expected: 0..1h)");
        }
    }

    /** A bucket at {@code endpoint} with static credentials and the defaults otherwise (path style). */
    public static S3ArchiveConfig of(URI endpoint, String bucket, String accessKey, String secretKey) {
        return new S3ArchiveConfig(endpoint, bucket, DEFAULT_PREFIX, DEFAULT_REGION, accessKey, secretKey, true,
                DEFAULT_REFRESH_INTERVAL);
    }

    public S3ArchiveConfig withPrefix(String newPrefix) {
        return new S3ArchiveConfig(endpoint, bucket, newPrefix, region, accessKey, secretKey, pathStyle,
                refreshInterval);
    }

    public S3ArchiveConfig withRefreshInterval(Duration interval) {
        return new S3ArchiveConfig(endpoint, bucket, prefix, region, accessKey, secretKey, pathStyle, interval);
    }

    /** {@code s3://bucket/prefix} (at the endpoint, when one is set); no credentials. */
    public String describe() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix) + (endpoint == null ? "" : " at " + endpoint);
    }

    @Override
    public String toString() {
        return "S3ArchiveConfig[" + describe() + ", region=" + region + ", accessKey=" + accessKey
                + ", secretKey=" + (secretKey == null ? "null" : "[hidden]") + ", pathStyle=" + pathStyle
                + ", refreshInterval=" + refreshInterval + "]";
    }
}
