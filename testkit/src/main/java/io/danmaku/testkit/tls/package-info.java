/**
 * Test certificates made at test time: a certificate authority, server certificates for the loopback address and
 * client certificates it signs, written as PEM files the way an operator would provide them, and JDK
 * {@code SSLContext}s that trust the authority and remember which certificate a server presented.
 */
package io.danmaku.testkit.tls;
