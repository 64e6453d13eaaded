/**
 * The validation pipeline of a danmaku post: small rules, each its own class, run in a fixed order by
 * {@link io.danmaku.logic.rule.RulePipeline} until the first rejection — shape, ban/mute, rate limits per user
 * and per room, blocked words, dedupe by {@code clientMsgId}. A rejection carries a reason code and a message
 * naming the field at fault. Rules that use the hot store handle its failures themselves: ban/mute and dedupe
 * fail closed ({@code unavailable}), rate limits fall back to buckets kept in this process.
 */
package io.danmaku.logic.rule;
