import Foundation
import LetheTestSupport
import Testing

/// The deployment files in Config/deploy are checked by the tools their ecosystems use:
/// promtool for Prometheus, the Kubernetes OpenAPI schemas (kubernetes-validate) for the
/// manifests, systemd-analyze for the unit. scripts/bootstrap installs the tools.
@Suite("Deployment files")
struct DeploymentFilesTests {
    static let deploy = Repository.root
        .appendingPathComponent("Config/deploy")

    @Test("Prometheus alert rules and scrape config pass promtool")
    func prometheus() async throws {
        let rules = try await Program.run("promtool", ["check", "rules", Self.deploy.appendingPathComponent("prometheus/alerts.yml").path])
        #expect(rules.status == 0, "\(rules.output)")
        #expect(rules.output.contains("SUCCESS: 8 rules found"))
        let config = try await Program.run("promtool", ["check", "config", Self.deploy.appendingPathComponent("prometheus/scrape.yml").path])
        #expect(config.status == 0, "\(config.output)")
    }

    /// What the alerts mean, evaluated by Prometheus: the worker's own faults page and a bad photo
    /// or token does not; refusals alone or decode-budget timeouts alone saturate.
    @Test("the alert rules fire, and stay quiet, on the series alerts.test.yml gives them")
    func prometheusAlertUnitTests() async throws {
        let run = try await Program.run("promtool", ["test", "rules", Self.deploy.appendingPathComponent("prometheus/alerts.test.yml").path])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("SUCCESS"))
    }

    @Test("Kubernetes manifests validate against the Kubernetes schemas, strictly")
    func kubernetes() async throws {
        let result = try await Program.run("kubernetes-validate", ["--strict", Self.deploy.appendingPathComponent("kubernetes/lethe.yaml").path])
        #expect(result.status == 0, "\(result.output)")
        for kind in ["statefulset/lethe", "poddisruptionbudget/lethe", "horizontalpodautoscaler/lethe", "networkpolicy/lethe"] {
            #expect(result.output.contains("passed for resource \(kind)"), "\(kind) missing from the manifests")
        }
    }

    @Test("the Kubernetes pod is hardened: read-only root, non-root, no capabilities, RuntimeDefault seccomp")
    func kubernetesHardening() throws {
        let manifest = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes/lethe.yaml"), encoding: .utf8)
        for setting in ["readOnlyRootFilesystem: true", "runAsNonRoot: true", #"capabilities: {drop: ["ALL"]}"#,
                        "seccompProfile: {type: RuntimeDefault}", "allowPrivilegeEscalation: false", "path: /readyz, port: admin"] {
            #expect(manifest.contains(setting), "missing: \(setting)")
        }
    }

    @Test("the systemd unit passes systemd-analyze verify")
    func systemd() async throws {
        // verify needs the ExecStart binary to exist: point it at an existing executable.
        let unit = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/lethe.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/lethe", with: "/bin/true")
        let directory = URL(fileURLWithPath: "/tmp/lethe-unit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("lethe.service")
        try unit.write(to: path, atomically: true, encoding: .utf8)
        let result = try await Program.run("systemd-analyze", ["verify", path.path])
        #expect(result.status == 0, "\(result.output)")
        for setting in ["ProtectSystem=strict", "PrivateTmp=yes", "LimitCORE=0", "MemoryDenyWriteExecute=yes", "NoNewPrivileges=yes"] {
            #expect(unit.contains(setting), "missing: \(setting)")
        }
        // The sandboxed engines by default: the unit's filter lets them lock themselves down.
        let filter = try #require(unit.split(separator: "\n").first { $0.hasPrefix("SystemCallFilter=") })
        #expect(filter.contains(" seccomp") && filter.contains(" memfd_secret"), "\(filter)")
        #expect(!unit.contains("LETHE_ENGINE_PROCESSES=0"))
    }

    @Test("the ledger signing and pseudonym keys are read-only mounts outside the writable ledger volume")
    func ledgerKeyOutsideLedger() throws {
        let manifest = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes/lethe.yaml"), encoding: .utf8)
        #expect(manifest.contains("{name: LETHE_LEDGER_KEY_FILE, value: /etc/lethe/ledger-keys/$(POD_NAME).key}"))
        #expect(manifest.contains("{name: ledger-keys, mountPath: /etc/lethe/ledger-keys, readOnly: true}"))
        #expect(manifest.contains("secret: {secretName: lethe-ledger-keys, defaultMode: 0400}"))
        #expect(manifest.contains("{name: LETHE_PSEUDONYM_KEY_FILE, value: /etc/lethe/pseudonym-key/pseudonym.key}"))
        #expect(manifest.contains("{name: pseudonym-key, mountPath: /etc/lethe/pseudonym-key, readOnly: true}"))
        #expect(manifest.contains("secret: {secretName: lethe-pseudonym-key, defaultMode: 0400}"))
        #expect(manifest.contains("{name: ledger, mountPath: /var/lib/lethe}"))
        let unit = try String(contentsOf: Self.deploy.appendingPathComponent("systemd/lethe.service"), encoding: .utf8)
        #expect(unit.contains("LoadCredential=ledger-signing.key:/etc/lethe/ledger-signing.key"))
        #expect(unit.contains("--ledger-key-file %d/ledger-signing.key"))
        #expect(unit.contains("LoadCredential=pseudonym.key:/etc/lethe/pseudonym.key"))
        #expect(unit.contains("--pseudonym-key-file %d/pseudonym.key"))
        let dockerfile = try String(contentsOf: Self.deploy.appendingPathComponent("Dockerfile"), encoding: .utf8)
        #expect(dockerfile.contains("/run/secrets/lethe-ledger.key:ro"))
        #expect(dockerfile.contains("/run/secrets/lethe-pseudonym.key:ro") && dockerfile.contains("LETHE_PSEUDONYM_KEY_FILE="))
    }

    @Test("the Grafana dashboard is valid JSON whose queries use Lethe's metrics")
    func grafana() throws {
        let data = try Data(contentsOf: Self.deploy.appendingPathComponent("grafana/lethe-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        #expect(panels.count >= 10)
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.allSatisfy { $0.contains("lethe_") })
    }
}
