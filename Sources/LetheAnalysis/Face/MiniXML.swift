import Foundation

/// A minimal XML reader for OpenCV's storage files: elements and their text, no attributes
/// values needed, comments and the prolog skipped. Not a general XML parser (no entities, CDATA
/// or namespaces — the cascade files use none of them).
struct MiniXML {
    final class Node {
        let name: String
        var children: [Node] = []
        var text: String?
        init(name: String) { self.name = name }
        func child(_ name: String) -> Node? { children.first { $0.name == name } }
    }

    static func parse(_ data: Data) -> Node? {
        let bytes = [UInt8](data)
        let root = Node(name: "#document")
        var stack: [Node] = [root]
        var index = 0
        var textStart = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            !(isWhitespace(byte) || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "/"))
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else { index += 1; continue }
            if bytes[index..<min(bytes.count, index + 4)].elementsEqual("<!--".utf8) {
                guard let end = find("-->", in: bytes, from: index + 4) else { return nil }
                index = end + 3
                textStart = index
                continue
            }
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "?") || bytes[index + 1] == UInt8(ascii: "!") {
                guard let end = find(">", in: bytes, from: index) else { return nil }
                index = end + 1
                textStart = index
                continue
            }
            guard let end = find(">", in: bytes, from: index) else { return nil }
            if bytes[index + 1] == UInt8(ascii: "/") {
                // Closing tag: attach the text gathered since the last tag to the element it closes.
                guard stack.count > 1 else { return nil }
                let node = stack.removeLast()
                // The text trimmed of ASCII whitespace as bytes (the files are ASCII), made a
                // `String` only here: at every tag, with Foundation's trimming, the parse took
                // ~50 ms of each process's start for the 0.9 MB face cascade.
                var first = textStart, last = index
                while first < last, isWhitespace(bytes[first]) { first += 1 }
                while last > first, isWhitespace(bytes[last - 1]) { last -= 1 }
                if node.children.isEmpty, first < last { node.text = String(decoding: bytes[first..<last], as: UTF8.self) }
            } else {
                var nameEnd = index + 1
                while nameEnd < end, isNameByte(bytes[nameEnd]) { nameEnd += 1 }
                let node = Node(name: String(decoding: bytes[(index + 1)..<nameEnd], as: UTF8.self))
                stack.last!.children.append(node)
                if bytes[end - 1] != UInt8(ascii: "/") { stack.append(node) }
            }
            index = end + 1
            textStart = index
        }
        return stack.count == 1 ? root : nil
    }

    /// XML's whitespace: space, tab, line feed, carriage return (XML 1.0 §2.3, `S`).
    static func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The words of an element's text (separated by XML whitespace) that are numbers.
    static func numbers(_ text: String?) -> [Double] {
        (text ?? "").utf8.split(whereSeparator: isWhitespace).compactMap { Double(Substring($0)) }
    }

    private static func find(_ needle: String, in bytes: [UInt8], from start: Int) -> Int? {
        let pattern = Array(needle.utf8)
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], bytes[index..<(index + pattern.count)].elementsEqual(pattern) { return index }
            index += 1
        }
        return nil
    }
}
