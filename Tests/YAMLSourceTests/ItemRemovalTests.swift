import XCTest

@testable import YAMLSource

/// `MappingEditor.remove(_:from:)`: the items go with their own lines (block) or their
/// separators (flow), the list stays a list, every other byte stays, and the check before writing
/// (`Document.mismatch(in:applying:)` with `.removeItems`) accepts exactly that text.
final class ItemRemovalTests: XCTestCase {
  /// The text of `input` with the items of the list at key `l` (anywhere under the root) whose
  /// values are in `names` removed; checked against the data change as `fix` checks it.
  func removing(_ names: [String], in input: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
    let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(input)).first)
    let editor = MappingEditor(document)
    let list = try XCTUnwrap(
      document.allNodes.first { node in
        document.isMapping(node) && editor.lookup(node, "l") != nil
      }.flatMap { editor.lookup($0, "l")?.value })
    let items = document.items(list).filter { document.string($0).map(names.contains) ?? false }
    let edits = try editor.remove(items, from: list)
    let fixed = EditSet.applying(try EditSet(edits).sorted(), to: document.source.bytes)
    let text = String(decoding: fixed, as: UTF8.self)
    XCTAssertNil(
      document.mismatch(in: SourceBuffer(fixed), applying: [.removeItems(items, from: list)]), "check refused:\n\(text)", file: file,
      line: line)
    // Removing fewer items is other data: the check is not blind.
    if items.count > 1 {
      XCTAssertNotNil(document.mismatch(in: SourceBuffer(fixed), applying: [.removeItems(Array(items.dropLast()), from: list)]))
    }
    return text
  }

  func testBlockItemsGoWithTheirLines() throws {
    let input = "c:\n  l:\n  # the list\n  - a  # first\n  - b\n  - c\n  k: v\n"
    XCTAssertEqual(try removing(["b"], in: input), "c:\n  l:\n  # the list\n  - a  # first\n  - c\n  k: v\n")
    XCTAssertEqual(try removing(["a", "c"], in: input), "c:\n  l:\n  # the list\n  - b\n  k: v\n")
    // Indented items, CRLF, and an item at the end of a file without a line break.
    XCTAssertEqual(try removing(["b"], in: "l:\r\n    - a\r\n    - b\r\n"), "l:\r\n    - a\r\n")
    XCTAssertEqual(try removing(["b"], in: "l:\n- a\n- b"), "l:\n- a\n")
  }

  func testEmptiedBlockListStaysAList() throws {
    XCTAssertEqual(try removing(["a", "b"], in: "c:\n  l:  # caps\n  - a\n  - b\n  k: v\n"), "c:\n  l: []  # caps\n  k: v\n")
    XCTAssertEqual(try removing(["a"], in: "\"l\" :\n  - a\n"), "\"l\" : []\n")
  }

  func testFlowItemsGoWithTheirSeparators() throws {
    XCTAssertEqual(try removing(["b"], in: "l: [a, b, c]\n"), "l: [a, c]\n")
    XCTAssertEqual(try removing(["a"], in: "l: [a, b, c]\n"), "l: [b, c]\n")
    XCTAssertEqual(try removing(["c"], in: "l: [a, b, c]\n"), "l: [a, b]\n")
    XCTAssertEqual(try removing(["b", "c"], in: "l: [a, b, c]\n"), "l: [a]\n")
    XCTAssertEqual(try removing(["a", "b", "c"], in: "l: [a, b, c]  # x\n"), "l: []  # x\n")
    XCTAssertEqual(try removing(["b"], in: "{\"l\": [\"a\", \"b\"], \"k\": 1}\n"), "{\"l\": [\"a\"], \"k\": 1}\n")
    XCTAssertEqual(try removing(["a"], in: "l: [\n  a,\n  b\n]\n"), "l: [\n  b\n]\n")
  }

  func testRefusesWhatItCannotRemoveCleanly() throws {
    func refused(_ names: [String], _ input: String) throws {
      XCTAssertThrowsError(try removing(names, in: input), input)
    }
    try refused(["b"], "l: [a,  # keep me\n  b]\n")
    try refused(["a"], "l: &x\n- a\nm: *x\n")
    try refused(["a"], "l: !!seq\n- a\n")
  }
}
