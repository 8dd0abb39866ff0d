import ArgumentParser
import Foundation

/// The optional configuration file of `lethe serve` (`--config FILE` or `LETHE_CONFIG`): one
/// `key = value` per line, where a key is the name of a `serve` flag without its dashes
/// (`max-concurrent = 4`). Each value becomes the flag's environment variable (`LETHE_` and the
/// key in upper case with `_`, here `LETHE_MAX_CONCURRENT`) unless the environment already sets
/// it, so precedence is flag > environment > file > default, and every option works in the file
/// without code of its own.
///
/// Lines: blank, `# comment`, or `key = value`; a value may be `"quoted"` (with `\"` and `\\`),
/// otherwise ` #` starts a trailing comment. Unknown keys, repeated keys and values the flag
/// would not take are errors naming the file, line and key.
struct ConfigFile {
    /// One `key = value` line.
    struct Setting: Equatable {
        let key: String
        let value: String
        let line: Int
    }

    let path: String
    let settings: [Setting]

    /// Keys that are not worker options although `serve` parses them.
    static let reservedKeys: Set<String> = ["config", "help", "version"]

    /// The environment variable a flag falls back to: `max-concurrent` → `LETHE_MAX_CONCURRENT`.
    static func environmentName(forKey key: String) -> String {
        "LETHE_" + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// Reads and parses the file at `path` (syntax only; see `validate(against:)`).
    static func load(path: String) throws -> ConfigFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read config file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("config file \(path) is not UTF-8 text")
        }
        return try ConfigFile(text: text, path: path)
    }

    /// Parses `text`; `path` only names the file in errors.
    init(text: String, path: String) throws {
        self.path = path
        var settings: [Setting] = []
        var lineOfKey: [String: Int] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            let content = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty || content.hasPrefix("#") { continue }
            guard let equals = content.firstIndex(of: "=") else {
                throw ValidationError("\(path) line \(line): expected 'key = value', got '\(content)'")
            }
            let key = content[..<equals].trimmingCharacters(in: .whitespaces)
            guard let first = key.unicodeScalars.first, CharacterSet.lowercaseLetters.contains(first),
                  key.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
            else {
                throw ValidationError("\(path) line \(line): '\(key)' is not a key; keys are flag names without '--', e.g. max-concurrent")
            }
            guard !Self.reservedKeys.contains(key) else {
                throw ValidationError("\(path) line \(line): '\(key)' cannot be set in a config file")
            }
            if let earlier = lineOfKey[key] {
                throw ValidationError("\(path) line \(line): key '\(key)' was already set on line \(earlier)")
            }
            let value = try Self.value(content[content.index(after: equals)...], key: key, line: line, path: path)
            lineOfKey[key] = line
            settings.append(Setting(key: key, value: value, line: line))
        }
        self.settings = settings
    }

    private static func value(_ text: Substring, key: String, line: Int, path: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("\"") {
            var value = ""
            var escaped = false
            var rest: Substring?
            for index in trimmed.indices.dropFirst() {
                let character = trimmed[index]
                if escaped {
                    guard character == "\"" || character == "\\" else {
                        throw ValidationError("\(path) line \(line): unknown escape '\\\(character)' in the value of '\(key)'")
                    }
                    value.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    rest = trimmed[trimmed.index(after: index)...]
                    break
                } else {
                    value.append(character)
                }
            }
            guard let rest else { throw ValidationError("\(path) line \(line): the value of '\(key)' has no closing quote") }
            let after = rest.trimmingCharacters(in: .whitespaces)
            guard after.isEmpty || after.hasPrefix("#") else {
                throw ValidationError("\(path) line \(line): unexpected '\(after)' after the quoted value of '\(key)'")
            }
            return value
        }
        let value = (trimmed.range(of: " #").map { String(trimmed[..<$0.lowerBound]) } ?? trimmed)
            .trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else { throw ValidationError("\(path) line \(line): '\(key)' has no value") }
        return value
    }

    /// Checks every key and value by letting `Command` parse `--key=value` (or `--key` alone for
    /// a `true`/`false` flag), so that the file accepts exactly what the command line accepts.
    func validate<Command: ParsableArguments>(against command: Command.Type) throws {
        for setting in settings {
            do {
                _ = try command.parse(["--\(setting.key)=\(setting.value)"])
            } catch {
                if ["true", "false"].contains(setting.value), (try? command.parse(["--\(setting.key)"])) != nil { continue }
                let message = command.message(for: error)
                if message.contains("Unknown option") {
                    throw ValidationError("\(path) line \(setting.line): unknown key '\(setting.key)' (not a flag of lethe serve)")
                }
                throw ValidationError("\(path) line \(setting.line): invalid value for '\(setting.key)': \(message)")
            }
        }
    }

    /// `environment` with each setting added under its variable's name where the environment does
    /// not set that variable itself.
    func environment(over environment: [String: String]) -> [String: String] {
        var merged = environment
        for setting in settings where merged[Self.environmentName(forKey: setting.key)] == nil {
            merged[Self.environmentName(forKey: setting.key)] = setting.value
        }
        return merged
    }
}
