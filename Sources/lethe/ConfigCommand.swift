import ArgumentParser
import Foundation

/// `lethe config check`: validates a config file the way `lethe serve` would read it.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check worker configuration files.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the config file (--config or LETHE_CONFIG) with the flags and environment, and say where each setting comes from.",
            discussion: "Exit 0 when 'lethe serve' would accept the same flags, environment and file; otherwise the error names the file, line and key.")

        @OptionGroup var options: ServerOptions
        @Flag(help: "Also print the resolved worker configuration (the admin token masked).")
        var showResolved = false

        func run() async throws {
            let process = ProcessInfo.processInfo.environment
            var configuration = try options.resolved(environment: try options.environment(process: process))
            if let path = options.config ?? process["LETHE_CONFIG"] {
                let file = try ConfigFile.load(path: path)
                print("\(path): \(file.settings.count) settings")
                for setting in file.settings {
                    let name = ConfigFile.environmentName(forKey: setting.key)
                    let source = process[name] == nil ? "from the file" : "overridden by the environment"
                    print("  line \(setting.line): \(setting.key) → \(name) (\(source))")
                }
            } else {
                print("no config file (--config, LETHE_CONFIG): flags, environment and defaults only")
            }
            print("OK")
            if showResolved {
                configuration.adminToken = configuration.adminToken.map { _ in "(set)" }
                var text = ""
                dump(configuration, to: &text)
                print("resolved configuration:\n\(text)", terminator: "")
            }
        }
    }
}
