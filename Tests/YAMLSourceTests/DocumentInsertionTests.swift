import XCTest

@testable import YAMLSource

/// `insertDocument`: a new document after document N in the stream's own style, and the check
/// of its text (`Document.newDocumentMismatch`).
final class DocumentInsertionTests: XCTestCase {
  let entries = [
    NewEntry("kind", .string("Thing")),
    NewEntry("spec", .mapping([NewEntry("items", .sequence([.mapping([NewEntry("a", .string("1")), NewEntry("b", .bool(true))])]))])),
  ]

  /// Inserts `entries` after document `index` of `text`; checks the output parses into one more
  /// document and that the edit's text passes the check.
  func insert(_ text: String, after index: Int = 0) throws -> String {
    let bytes = Array(text.utf8)
    let documents = try YAMLParser.parse(SourceBuffer(bytes))
    let edit = try MappingEditor(documents[index]).insertDocument(entries)
    XCTAssertTrue(edit.range.isEmpty, "an insertion only")
    XCTAssertNil(Document.newDocumentMismatch(edit.replacement, holding: entries))
    let output = try EditSet([edit]).apply(to: bytes)
    let after = try YAMLParser.parse(SourceBuffer(output))
    XCTAssertEqual(after.count, documents.count + 1, String(decoding: output, as: UTF8.self))
    return String(decoding: output, as: UTF8.self)
  }

  let body = "kind: Thing\nspec:\n  items:\n  - a: \"1\"\n    b: true\n"

  func testBetweenDocumentsBeforeColumnZeroComments() throws {
    let input = "a: 1\n  # deeper: belongs to the document\n# about the next one\n---\nb: 2\n"
    XCTAssertEqual(
      try insert(input), "a: 1\n  # deeper: belongs to the document\n---\n" + body + "# about the next one\n---\nb: 2\n")
  }

  func testLastDocumentWithoutFinalLineBreakKeepsCRLFAndNoFinalBreak() throws {
    let input = "x:\r\n    y: \"z\""
    XCTAssertEqual(
      try insert(input),
      "x:\r\n    y: \"z\"\r\n---\r\nkind: \"Thing\"\r\nspec:\r\n    items:\r\n    - a: \"1\"\r\n      b: true")
  }

  func testIndentedListsAndStepOfTheDocument() throws {
    let input = "list:\n    -   name: a\nmap:\n    k: v\n"
    XCTAssertEqual(try insert(input), input + "---\nkind: Thing\nspec:\n    items:\n        - a: \"1\"\n          b: true\n")
  }

  func testAfterAnExplicitEndTheNewDocumentEndsToo() throws {
    XCTAssertEqual(try insert("a: 1\n...\n"), "a: 1\n...\n---\n" + body + "...\n")
  }

  func testAfterAFlowDocumentWithAMarker() throws {
    XCTAssertEqual(try insert("--- {a: 1}\n--- {b: 2}\n"), "--- {a: 1}\n---\n" + body + "--- {b: 2}\n")
  }

  func testRefusals() throws {
    for text in ["{\"a\": 1}\n", "a: |\n  text"] {
      let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(Array(text.utf8))).first)
      XCTAssertThrowsError(try MappingEditor(document).insertDocument(entries), text)
    }
  }

  func testTheCheckCatchesOtherData() {
    XCTAssertNil(Document.newDocumentMismatch(Array(("---\n" + body).utf8), holding: entries))
    for wrong in [
      "---\n" + body.replacingOccurrences(of: "\"1\"", with: "1"), "---\nkind: Thing\n", "---\n" + body + "---\nx: 1\n", "---\n[a",
    ] {
      XCTAssertNotNil(Document.newDocumentMismatch(Array(wrong.utf8), holding: entries), wrong)
    }
  }
}
