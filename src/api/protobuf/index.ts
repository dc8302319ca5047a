/**
 * Kubernetes protobuf: decoding request bodies (kubectl 1.32+ typed-client creates) and the
 * low-level wire reader/writer.
 */
export { decodeMessage, decodeProtobufObject, PROTOBUF_MAGIC, PROTOBUF_MEDIA_TYPE } from './decode.js';
export { decodeProtobufObject as decodeProtobufBody } from './decode.js';
export { ProtoReader, ProtoError, type WireValue } from './reader.js';
export { ProtoWriter, WIRE_BYTES, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from './writer.js';
