/**
 * Generating load: opening connections at a bounded rate ({@code Connector}), publishing over HTTP at a target
 * rate through ordered lanes ({@code HttpPublisher}), posting clients with minted tokens ({@code PostingSession},
 * {@code Tokens}).
 */
package io.danmaku.bench.load;
