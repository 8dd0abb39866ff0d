import HTTPTypes

/// The methods each path of a router answers, so that a known path asked with another method gets
/// `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of the router's 404:
/// Hummingbird resolves the path and the method together and keeps its table to itself.
struct AllowedMethods: Sendable {
    /// One route: its path pattern in Hummingbird's syntax (`:name` is one component, `**` the
    /// rest of the path) and the methods registered on it.
    private struct Route: Sendable {
        let components: [Substring]
        let methods: [HTTPRequest.Method]
    }

    private let routes: [Route]

    /// - Parameter routes: each path pattern with the methods its routes answer, in the order the
    ///   `Allow` header lists them.
    init(_ routes: [(path: String, methods: [HTTPRequest.Method])]) {
        self.routes = routes.map { Route(components: $0.path.split(separator: "/"), methods: $0.methods) }
    }

    /// The methods of the first route whose pattern matches `path`; nil when no route has this path.
    func methods(forPath path: String) -> [HTTPRequest.Method]? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { Self.matches($0.components, components) }?.methods
    }

    /// The `Allow` field value (RFC 9110 §10.2.1) for `path`, or nil when no route has this path.
    func allowHeader(forPath path: String) -> String? {
        methods(forPath: path).map { $0.map(\.rawValue).joined(separator: ", ") }
    }

    private static func matches(_ pattern: [Substring], _ components: [Substring]) -> Bool {
        for (index, element) in pattern.enumerated() {
            if element == "**" { return components.count > index }
            guard index < components.count else { return false }
            if element.hasPrefix(":") { continue }
            guard element == components[index] else { return false }
        }
        return pattern.count == components.count
    }
}
