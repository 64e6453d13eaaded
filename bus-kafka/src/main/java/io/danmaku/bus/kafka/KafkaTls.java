package io.danmaku.bus.kafka;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TLS from the roles to Kafka (config section {@code bus.kafka.tls}), as the Kafka clients' own settings: every
 * client (producer, consumer, admin) gets {@code security.protocol=SSL}, the brokers' authorities as a PEM trust
 * store, and for mutual TLS the client certificate and key as a PEM key store. The broker's certificate must name
 * the host of each bootstrap and advertised address (the clients check it, {@code ssl.endpoint.identification.
 * algorithm=https}). Settings passed through ({@code bus.kafka.producer.*} …) win over these: set
 * {@code security.protocol=SASL_SSL} there to add SASL on top.
 *
 * @param caFile PEM file with the certificate authorities of the brokers; null = the JDK's trust store
 * @param certFile PEM file with this client's certificate (then intermediates) for mutual TLS; null = none
 * @param keyFile PEM file with its private key, unencrypted PKCS#8; set exactly when {@code certFile} is
 */
public record KafkaTls(Path caFile, Path certFile, Path keyFile) {
    public static final String KEY_CA_FILE = "bus.kafka.tls.ca-file";
    public static final String KEY_CERT_FILE = "bus.kafka.tls.cert-file";
    public static final String KEY_KEY_FILE = "bus.kafka.tls.key-file";

    public KafkaTls {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException(KEY_CERT_FILE + ", " + KEY_KEY_FILE + ": " + certFile + ", " + keyFile
                    + " (expected: both set or both unset)");
        }
    }

    /**
     * The Kafka client properties, the files' contents read now (the client key is an inline PEM property, which
     * Kafka treats as a password: never in its logs, masked in ours).
     *
     * @throws IllegalArgumentException naming the setting whose file cannot be read
     */
    public Map<String, String> clientProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("security.protocol", "SSL");
        if (caFile != null) {
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.certificates", read(caFile, KEY_CA_FILE));
        }
        if (certFile != null) {
            p.put("ssl.keystore.type", "PEM");
            p.put("ssl.keystore.certificate.chain", read(certFile, KEY_CERT_FILE));
            p.put("ssl.keystore.key", read(keyFile, KEY_KEY_FILE));
        }
        return p;
    }

    /** {@code config} with these properties added to each client's, under what was set there explicitly. */
    public KafkaBusConfig applyTo(KafkaBusConfig config) {
        Map<String, String> tls = clientProperties();
        return config.withProducer(under(config.producer(), tls))
                .withConsumer(under(config.consumer(), tls))
                .withAdmin(under(config.admin(), tls));
    }

    private static Map<String, String> under(Map<String, String> explicit, Map<String, String> tls) {
        Map<String, String> out = new LinkedHashMap<>(tls);
        out.putAll(explicit);
        return out;
    }

    private static String read(Path file, String key) {
        try {
            String pem = Files.readString(file, StandardCharsets.US_ASCII);
            if (!pem.contains("-----BEGIN ")) {
                throw new IllegalArgumentException(key + ": " + file + " (expected: a PEM file)");
            }
            return pem;
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": " + file + " (expected: an existing readable file; " + e
                    + ")");
        }
    }
}
