/**
 * Contract tests of the seams, shipped in the protocol test-jar: {@code MessageBusContract} and
 * {@code HotStoreContract} hold the behaviour every implementation must show (memory here, Kafka and Redis in
 * their modules, against real services from testkit). The cases use unique room, group and key names and
 * compare with the positions a publish returned, so they also hold on a shared, long-lived broker or store.
 */
package io.danmaku.protocol.contract;
