import ArgumentParser
import Foundation
import LetheServer

/// Worker options shared by `serve` and the embedded worker of `analyze`. Each flag falls back to
/// its `LETHE_*` environment variable, then to the built-in default.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (LETHE_HOST). Default 127.0.0.1.")
    var host: String?
    @Option(help: "Port to listen on (LETHE_PORT). Default 8080.")
    var port: Int?
    @Option(help: "Deletion ledger directory (LETHE_LEDGER_DIR). Default ./lethe-ledger.")
    var ledgerDir: String?
    @Option(help: "Device tokens file, 'device-id token' per line (LETHE_TOKENS_FILE). Default: one demo device with a random token.")
    var tokensFile: String?
    @Option(help: "OHTTP private key file from 'lethe keys generate' (LETHE_KEY_FILE). Default: fresh keys in memory.")
    var keyFile: String?
    @Option(help: "Largest photo in pixels, checked before decoding (LETHE_MAX_PIXELS). Default 50000000.")
    var maxPixels: Int?
    @Option(help: "Largest photo in bytes (LETHE_MAX_BYTES). Default 31457280 (30 MiB).")
    var maxBytes: Int?

    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, got '\(text)'") }
            return value
        }
        configuration.host = host ?? environment["LETHE_HOST"] ?? configuration.host
        configuration.port = try port ?? integer("LETHE_PORT") ?? configuration.port
        configuration.ledgerDirectory = ledgerDir ?? environment["LETHE_LEDGER_DIR"] ?? configuration.ledgerDirectory
        configuration.tokensFile = tokensFile ?? environment["LETHE_TOKENS_FILE"]
        configuration.keyFile = keyFile ?? environment["LETHE_KEY_FILE"]
        configuration.decodeLimits.maxPixels = try maxPixels ?? integer("LETHE_MAX_PIXELS") ?? configuration.decodeLimits.maxPixels
        configuration.decodeLimits.maxBytes = try maxBytes ?? integer("LETHE_MAX_BYTES") ?? configuration.decodeLimits.maxBytes
        guard (0...65535).contains(configuration.port) else { throw ValidationError("port must be 0…65535") }
        guard configuration.decodeLimits.maxPixels > 0, configuration.decodeLimits.maxBytes > 0 else {
            throw ValidationError("limits must be positive")
        }
        return configuration
    }
}
