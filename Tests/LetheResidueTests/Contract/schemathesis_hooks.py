# Schemathesis hooks for ContractTests (SCHEMATHESIS_HOOKS): an encapsulated OHTTP request
# (RFC 9458 §4.3, message/ohttp-req) is opaque bytes, sent as they are generated, the way
# schemathesis sends application/octet-stream. Without this the gateway's POST is not tested
# ("Serialization not possible").
import schemathesis

schemathesis.serializer.alias("message/ohttp-req", "application/octet-stream")
