/**
 * The logic tier: {@link io.danmaku.logic.LogicService} validates danmaku posts through the rule pipeline,
 * stamps the accepted ones with a server id ({@link io.danmaku.logic.MessageIds}) and time and publishes them on
 * the message bus, answering only once the bus made them durable; {@link io.danmaku.logic.LogicConfig} holds its
 * settings. Stateless: bans, mutes, rate limits and dedupe keys live in the hot store.
 */
package io.danmaku.logic;
