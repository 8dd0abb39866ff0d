import Foundation
@testable import LetheAnalysis
import Testing

/// The cascade reader's XML subset: element text trimmed of XML whitespace, comments and the
/// prolog skipped, and the numbers of a text split on every kind of XML whitespace.
@Suite("MiniXML")
struct MiniXMLTests {
    @Test("text is trimmed of spaces, tabs, CR and LF; comments and the prolog leave none behind")
    func text() throws {
        let xml = "<?xml version=\"1.0\"?>\r\n<!-- a comment -->\n<root>\n  <a>\t 12 34\r\n</a><b> <!-- skipped --> word </b><c/><d>   </d>\n</root>"
        let root = try #require(MiniXML.parse(Data(xml.utf8))?.child("root"))
        #expect(root.children.map(\.name) == ["a", "b", "c", "d"])
        #expect(root.child("a")?.text == "12 34")
        #expect(root.child("b")?.text == "word")
        #expect(root.child("c")?.text == nil)
        #expect(root.child("d")?.text == nil, "whitespace alone is no text")
        #expect(root.text == nil, "an element with children keeps no text")
    }

    @Test("numbers: split on any XML whitespace, words that are not numbers left out")
    func numbers() {
        #expect(MiniXML.numbers("0 -1\t2.5e-3\r\n  7\n") == [0, -1, 0.0025, 7])
        #expect(MiniXML.numbers("3 x 4") == [3, 4])
        #expect(MiniXML.numbers(nil).isEmpty)
        #expect(MiniXML.numbers(" \n ").isEmpty)
    }

    @Test("an unclosed element or comment is no document")
    func malformed() {
        #expect(MiniXML.parse(Data("<a><b></b>".utf8)) == nil)
        #expect(MiniXML.parse(Data("<a><!-- open".utf8)) == nil)
        #expect(MiniXML.parse(Data("</a>".utf8)) == nil)
    }
}
