/**
 * TLS key material from PEM files, shared by every listener that speaks TLS (the gateway's port, logic's gRPC and
 * HTTP ports, storage's HTTP port, the admin port): {@link io.danmaku.protocol.tls.PemFiles} reads and checks a
 * certificate chain and its key, {@link io.danmaku.protocol.tls.ReloadingCertificate} watches the two files and
 * swaps in a new, valid pair without touching open connections, and
 * {@link io.danmaku.protocol.tls.CertificateKeyManager} hands the current pair to each new TLS handshake of a JDK
 * or gRPC server. No Netty here: each server builds its own context from what this package gives.
 */
package io.danmaku.protocol.tls;
