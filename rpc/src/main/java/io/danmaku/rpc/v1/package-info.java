/**
 * The wire contract between gateway and logic, generated at build time by protoc and protoc-gen-grpc-java from
 * {@code src/main/proto/danmaku/logic.proto} (protobuf package {@code danmaku.logic.v1}): the {@code Logic}
 * service and its messages. A change to the proto must stay wire compatible (new field numbers only) or go to
 * a new {@code v2} package, since gateways and logic are upgraded one pod at a time.
 */
package io.danmaku.rpc.v1;
