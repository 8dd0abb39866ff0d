// The types of LetheClient's own API — results (`LetheAPI`), key configurations (`LetheEnvelope`),
// receipts, verifier keys, checkpoints and witness policies (`LetheTransparency`) — come with
// `import LetheClient`, so that an app imports one module.
@_exported import LetheAPI
@_exported import LetheEnvelope
@_exported import LetheTransparency
