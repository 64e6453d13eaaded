/**
 * Machinery of the gRPC transport that other modules must not use: the mapping between the seam's records and
 * the protobuf messages, the parsing of the logic target, the rendezvous hashing of users over logic addresses,
 * and the pool of one channel per logic address kept in line with the resolved addresses.
 */
package io.danmaku.rpc.internal;
