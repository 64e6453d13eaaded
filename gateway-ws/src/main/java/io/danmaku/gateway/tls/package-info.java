/**
 * TLS on the gateway's port: the certificate and key files ({@link io.danmaku.gateway.tls.GatewayTlsConfig}),
 * the server {@code SslContext} built from them with OpenSSL where its native library loads and the JDK
 * otherwise, and the watcher that swaps in a new context when the files change. Connections take the context
 * current when they are accepted, so a rotation never touches live connections.
 */
package io.danmaku.gateway.tls;
