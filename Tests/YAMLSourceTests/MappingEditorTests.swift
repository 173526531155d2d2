import XCTest
@testable import YAMLSource

/// Hand cases for the editing helpers: each names the YAML shape it covers and checks the exact
/// output bytes, that the output parses, and what it means.
final class MappingEditorTests: XCTestCase {
  /// Inserts `entries` into the mapping found at `path` (keys; ints index sequences) of the first document.
  func insert(_ text: String, at path: [Any], _ entries: [NewEntry]) throws -> String {
    let bytes = Array(text.utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let editor = MappingEditor(doc)
    var node = try XCTUnwrap(doc.root)
    for step in path {
      if let key = step as? String {
        node = doc.resolved(try XCTUnwrap(editor.lookup(node, key)).value)
      } else if let index = step as? Int {
        node = doc.items(node)[index]
      }
    }
    let edits: [Edit]
    if doc.isNull(node) || (doc.isFlow(node) && doc.isMapping(node) && doc.firstChild(node) == nil && doc.parent(node).map { doc.isBlock($0) } == true) {
      edits = try editor.replaceEmptyValue(node, with: entries)
    } else {
      edits = try editor.insert(entries, into: node)
    }
    let output = try EditSet(edits).apply(to: bytes)
    XCTAssertNoThrow(try YAMLParser.parse(SourceBuffer(output)), "output does not parse:\n\(String(decoding: output, as: UTF8.self))")
    return String(decoding: output, as: UTF8.self)
  }

  let sc = [NewEntry("securityContext", .mapping([NewEntry("privileged", .bool(false))]))]
  let flag = [NewEntry("privileged", .bool(false))]

  func testBlockMappingAfterLastEntryBeforeOwnLevelComments() throws {
    let input = "a:\n  b: 1\n  # c: commented out\n# outer\nd: 2\n"
    XCTAssertEqual(try insert(input, at: ["a"], flag), "a:\n  b: 1\n  privileged: false\n  # c: commented out\n# outer\nd: 2\n")
  }

  func testNestedBlockUsesNearestIndentStep() throws {
    let input = "spec:\n    containers:\n    -   name: a\n        env:\n            X: y\n"
    XCTAssertEqual(
      try insert(input, at: ["spec", "containers", 0], sc),
      "spec:\n    containers:\n    -   name: a\n        env:\n            X: y\n        securityContext:\n            privileged: false\n")
  }

  func testIndentlessSequenceItem() throws {
    let input = "containers:\n- name: a\n  image: b\n- name: c\n"
    XCTAssertEqual(try insert(input, at: ["containers", 0], flag), "containers:\n- name: a\n  image: b\n  privileged: false\n- name: c\n")
  }

  func testEmptyFlowMappingBecomesBlockKeepingComment() throws {
    let input = "c:\n  securityContext: {}   # hardened later\n  image: x\n"
    XCTAssertEqual(
      try insert(input, at: ["c", "securityContext"], flag),
      "c:\n  securityContext:   # hardened later\n    privileged: false\n  image: x\n")
  }

  func testNullForms() throws {
    for token in ["", " ~", " null", " Null"] {
      let input = "c:\n  securityContext:\(token)\n  image: x\n"
      XCTAssertEqual(try insert(input, at: ["c", "securityContext"], flag), "c:\n  securityContext:\n    privileged: false\n  image: x\n", token)
    }
    // A comment after an empty value stays on the key's line; commented lines below stay below.
    XCTAssertEqual(
      try insert("c:\n  resources: # set me\n    # limits:\n", at: ["c", "resources"], [NewEntry("limits", .mapping([NewEntry("cpu", .string("1"))]))]),
      "c:\n  resources: # set me\n    limits:\n      cpu: \"1\"\n    # limits:\n")
  }

  func testOneLineFlowMapping() throws {
    XCTAssertEqual(try insert("c: {a: 1, b: 2}  # x\n", at: ["c"], flag), "c: {a: 1, b: 2, privileged: false}  # x\n")
    XCTAssertEqual(try insert("c: {a: 1,}\n", at: ["c"], flag), "c: {a: 1, privileged: false,}\n")
    XCTAssertEqual(try insert("c: {}\nd: [{}]\n", at: ["d", 0], flag), "c: {}\nd: [{privileged: false}]\n")
  }

  func testMultiLineFlowMappingAndJSON() throws {
    XCTAssertEqual(
      try insert("c: {\n  a: 1,  # one\n  b: 2  # two\n}\n", at: ["c"], flag),
      "c: {\n  a: 1,  # one\n  b: 2,  # two\n  privileged: false\n}\n")
    XCTAssertEqual(
      try insert("c: {\n  a: 1,\n  b: 2,\n}\n", at: ["c"], flag), "c: {\n  a: 1,\n  b: 2,\n  privileged: false,\n}\n")
    XCTAssertEqual(
      try insert("{\n  \"c\": {\n    \"a\": \"x\"\n  }\n}\n", at: ["c"], sc),
      "{\n  \"c\": {\n    \"a\": \"x\",\n    \"securityContext\": {\n      \"privileged\": false\n    }\n  }\n}\n")
  }

  /// New objects and arrays in a pretty-printed JSON file (or any multi-line flow mapping) are
  /// laid out like it: one key per line, its step, its spacing after `:`; on one line in a
  /// one-line mapping, with its spacing after `:` and `,`.
  func testNewCollectionsFollowTheFlowLayout() throws {
    let nested = [NewEntry("sc", .mapping([NewEntry("drop", .sequence([.string("ALL")])), NewEntry("ro", .bool(true))]))]
    XCTAssertEqual(
      try insert("{\n    \"c\": {\n        \"a\": 1\n    }\n}\n", at: ["c"], nested),
      "{\n    \"c\": {\n        \"a\": 1,\n        \"sc\": {\n            \"drop\": [\n                \"ALL\"\n            ],\n"
        + "            \"ro\": true\n        }\n    }\n}\n")
    XCTAssertEqual(
      try insert("{\r\n  \"c\": {\r\n    \"a\": 1\r\n  }\r\n}\r\n", at: ["c"], sc),
      "{\r\n  \"c\": {\r\n    \"a\": 1,\r\n    \"securityContext\": {\r\n      \"privileged\": false\r\n    }\r\n  }\r\n}\r\n")
    // An empty object in a multi-line mapping, filled or replaced, opens on its key's line.
    XCTAssertEqual(
      try insert("{\n  \"a\": 1,\n  \"c\": {}\n}\n", at: ["c"], sc),
      "{\n  \"a\": 1,\n  \"c\": {\n    \"securityContext\": {\n      \"privileged\": false\n    }\n  }\n}\n")
    // Compact JSON and one-line flow stay on one line, with their spacing.
    XCTAssertEqual(
      try insert("{\"c\":{\"a\":1,\"b\":2}}", at: ["c"], nested), "{\"c\":{\"a\":1,\"b\":2,\"sc\":{\"drop\":[\"ALL\"],\"ro\":true}}}")
    XCTAssertEqual(try insert("c: {a: 1, b: 2}\n", at: ["c"], nested), "c: {a: 1, b: 2, sc: {drop: [ALL], ro: true}}\n")
  }

  func testEmptyValueAloneOnItsLineIsReplacedWithItsLine() throws {
    XCTAssertEqual(
      try insert("c:\n  resources:\n    {}\n  image: x\n", at: ["c", "resources"], flag),
      "c:\n  resources:\n    privileged: false\n  image: x\n")
    XCTAssertEqual(
      try insert("c:\r\n  resources:\r\n    {}   # none yet\r\n  image: x\r\n", at: ["c", "resources"], flag),
      "c:\r\n  resources:   # none yet\r\n    privileged: false\r\n  image: x\r\n")
    XCTAssertEqual(try insert("c:\n  resources:\n    ~", at: ["c", "resources"], flag), "c:\n  resources:\n    privileged: false")
    // An own-line comment between the key and the value stays where it is.
    XCTAssertEqual(
      try insert("c:\n  resources:\n    # later\n    {}\n", at: ["c", "resources"], flag),
      "c:\n  resources:\n    # later\n    privileged: false\n")
  }

  func testKeepChompedBlockScalarKeepsItsBlankLines() throws {
    let input = "a:\n  s: |+\n    text\n\n  # note\nb: 1\n"
    XCTAssertEqual(try insert(input, at: ["a"], flag), "a:\n  s: |+\n    text\n\n  privileged: false\n  # note\nb: 1\n")
  }

  /// A block scalar that ends the file without a line break would read differently with a line
  /// after it: new keys go before the last entry, above the comments that introduce it.
  func testBlockScalarEndingTheFileWithoutBreakGetsNewKeysBeforeIt() throws {
    XCTAssertEqual(
      try insert("a:\n  b: 1\n  # the text\n  s: |\n    text", at: ["a"], sc),
      "a:\n  b: 1\n  securityContext:\n    privileged: false\n  # the text\n  s: |\n    text")
    XCTAssertEqual(try insert("a:\n  b:\n    s: >-\n      text", at: ["a"], flag), "a:\n  privileged: false\n  b:\n    s: >-\n      text")
    XCTAssertEqual(try insert("l:\n- s: |\n    text", at: ["l", 0], sc), "l:\n- securityContext:\n    privileged: false\n  s: |\n    text")
    XCTAssertEqual(try insert("a:\r\n  s: |\r\n    text", at: ["a"], flag), "a:\r\n  privileged: false\r\n  s: |\r\n    text")
    // With a line break the new keys still go after it.
    XCTAssertEqual(try insert("a:\n  s: |\n    text\n", at: ["a"], flag), "a:\n  s: |\n    text\n  privileged: false\n")
    // The data check expects the new keys before the last entry, and nowhere else.
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(Array("a:\n  s: |-\n    text".utf8))).first)
    let a = doc.resolved(try XCTUnwrap(MappingEditor(doc).lookup(try XCTUnwrap(doc.root), "a")).value)
    let change = [DataChange.appendEntries(flag, to: a)]
    XCTAssertNil(doc.mismatch(in: SourceBuffer(Array("a:\n  privileged: false\n  s: |-\n    text".utf8)), applying: change))
    XCTAssertNotNil(doc.mismatch(in: SourceBuffer(Array("a:\n  s: |-\n    text\n  privileged: false".utf8)), applying: change))
    // A list item cannot move: appending to such a list is still refused.
    let list = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(Array("l:\n- |\n  text".utf8))).first)
    let l = list.resolved(try XCTUnwrap(MappingEditor(list).lookup(try XCTUnwrap(list.root), "l")).value)
    XCTAssertThrowsError(try MappingEditor(list).append([.string("x")], to: l))
  }

  func testCRLFAndNoFinalNewline() throws {
    XCTAssertEqual(try insert("a:\r\n  b: 1\r\n", at: ["a"], flag), "a:\r\n  b: 1\r\n  privileged: false\r\n")
    XCTAssertEqual(try insert("a:\n  b: 1", at: ["a"], sc), "a:\n  b: 1\n  securityContext:\n    privileged: false")
  }

  func testExplicitAndComplexKeysAreRefused() throws {
    for input in ["a:\n  ? b\n  : 1\n", "a:\n  [x, y]: 1\n"] {
      let bytes = Array(input.utf8)
      let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
      let editor = MappingEditor(doc)
      let a = doc.resolved(try XCTUnwrap(editor.lookup(try XCTUnwrap(doc.root), "a")).value)
      XCTAssertThrowsError(try editor.insert(flag, into: a), input)
    }
  }

  func testReplaceScalarKeepsQuotesAndComment() throws {
    let bytes = Array("a: 'x'  # c\nb: true # keep\nc: \"y\"\n".utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let editor = MappingEditor(doc)
    let root = try XCTUnwrap(doc.root)
    let edits = [
      try editor.replaceScalar(try XCTUnwrap(editor.lookup(root, "a")).value, with: .string("it's")),
      try editor.replaceScalar(try XCTUnwrap(editor.lookup(root, "b")).value, with: .bool(false)),
      try editor.replaceScalar(try XCTUnwrap(editor.lookup(root, "c")).value, with: .string("on")),
    ]
    XCTAssertEqual(
      String(decoding: try EditSet(edits).apply(to: bytes), as: UTF8.self), "a: 'it''s'  # c\nb: false # keep\nc: \"on\"\n")
  }

  func testLookupFollowsMergeKeysLocalKeysWin() throws {
    let bytes = Array("base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\nm:\n  <<: [*b, *o]\n  x: 9\n".utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let editor = MappingEditor(doc)
    let m = doc.resolved(try XCTUnwrap(editor.lookup(try XCTUnwrap(doc.root), "m")).value)
    XCTAssertEqual(editor.lookup(m, "x").flatMap { doc.string($0.value) }, "9")
    XCTAssertEqual(editor.lookup(m, "x")?.isLocal, true)
    XCTAssertEqual(editor.lookup(m, "y").flatMap { doc.string($0.value) }, "2", "earlier merge sources win")
    XCTAssertEqual(editor.lookup(m, "z").flatMap { doc.string($0.value) }, "4")
    XCTAssertEqual(editor.lookup(m, "z")?.isLocal, false)
    XCTAssertNil(editor.lookup(m, "w"))
  }

  func testOverlappingEditsAreRefused() {
    let set = EditSet([Edit(range: 0..<3, replacement: "a"), Edit(range: 2..<4, replacement: "b")])
    XCTAssertThrowsError(try set.apply(to: Array("hello".utf8)))
    let touching = EditSet([Edit(range: 0..<2, replacement: "X"), .insert("Y", at: 2), .insert("Z", at: 2, order: -1)])
    XCTAssertEqual(String(decoding: try touching.apply(to: Array("hello".utf8)), as: UTF8.self), "XZYllo")
  }

  func testLocalStyleDetection() throws {
    let bytes = Array("a:\n    b:\n        c: 1\n    list:\n      - x\n".utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let style = LocalStyle(doc)
    let editor = MappingEditor(doc)
    let a = doc.resolved(try XCTUnwrap(editor.lookup(try XCTUnwrap(doc.root), "a")).value)
    XCTAssertEqual(style.indentStep(near: a), 4)
    XCTAssertEqual(style.sequenceIndent(near: a), 2)
    XCTAssertEqual(style.keyColumn(of: a), 4)
    let flow = Array("x: {\n  a: 1\n}\ny: {a: 1}\n".utf8)
    let fdoc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(flow)).first)
    let fed = MappingEditor(fdoc)
    let froot = try XCTUnwrap(fdoc.root)
    XCTAssertTrue(LocalStyle(fdoc).isMultiLineFlow(try XCTUnwrap(fed.lookup(froot, "x")).value))
    XCTAssertFalse(LocalStyle(fdoc).isMultiLineFlow(try XCTUnwrap(fed.lookup(froot, "y")).value))
  }

  func testRestOfLineAndFollowingComments() throws {
    let bytes = Array("a:\n  b: 1  # eol\n  # after 1\n\n  # after 2\nc: 2\n".utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let editor = MappingEditor(doc)
    let a = doc.resolved(try XCTUnwrap(editor.lookup(try XCTUnwrap(doc.root), "a")).value)
    let b = try XCTUnwrap(editor.lookup(a, "b")).value
    let style = LocalStyle(doc)
    XCTAssertEqual(style.trailingComment(after: b).map { doc.source.text($0) }, "# eol")
    XCTAssertEqual(doc.source.text(style.followingCommentLines(of: try XCTUnwrap(editor.lookup(a, "b")).key)), "  # after 1\n\n  # after 2\n")
  }

  func testMultibyteOffsets() throws {
    let bytes = Array("\u{FEFF}é: \"😀\"\nb: ü # ñ\n".utf8)
    let doc = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(bytes)).first)
    let editor = MappingEditor(doc)
    let root = try XCTUnwrap(doc.root)
    let b = try XCTUnwrap(editor.lookup(root, "b")).value
    XCTAssertEqual(doc.source.text(doc.range(b)), "ü")
    XCTAssertEqual(doc.source.text(doc.range(try XCTUnwrap(editor.lookup(root, "é")).value)), "\"😀\"")
    XCTAssertEqual(try insert(String(decoding: bytes, as: UTF8.self), at: [], flag), "\u{FEFF}é: \"😀\"\nb: ü # ñ\nprivileged: false\n")
  }
}

/// The data hash sees data, not layout, and skips exactly the values of the keys it ignores.
final class DataHashTests: XCTestCase {
  func hash(_ text: String, ignoring keys: Set<String> = ["skip"]) throws -> Int {
    try XCTUnwrap(try YAMLParser.parse(SourceBuffer(text)).first).dataHash(ignoring: keys)
  }

  func testLayoutCommentsAndIgnoredKeysDoNotCount() throws {
    let base = try hash("a: 1\nb: [x, y]\n")
    XCTAssertEqual(try hash("# c\na:   1   # d\nb:\n- x\n- y\n"), base)
    XCTAssertEqual(try hash("a: 1\nskip: {deep: [1, 2]}\nb: [x, y]\n"), base)
    XCTAssertEqual(try hash("{a: 1, b: [x, y], skip: 3}"), base)
  }

  func testDataChangesCount() throws {
    let base = try hash("a: 1\nb: [x, y]\n")
    for changed in ["a: 2\nb: [x, y]\n", "a: '1'\nb: [x, y]\n", "a: 1\nb: [x]\n", "a: 1\nb: [[x], y]\n", "a: 1\nb: [x, y]\nc: 0\n",
      "a: 1\nc: [x, y]\n", "a: 1\nb: {x: y}\n"]
    {
      XCTAssertNotEqual(try hash(changed), base, changed)
    }
    // A value named like an ignored key is data.
    XCTAssertNotEqual(try hash("a: skip\n"), try hash("a: other\n"))
  }
}

/// Data comparison (`Document.mismatch`) sees data, not layout, quoting or comments; with
/// changes, the original equals the changed text and nothing else; it stops at parse errors and
/// at texts with no document or several.
final class DataComparisonTests: XCTestCase {
  func document(_ text: String) throws -> Document { try XCTUnwrap(try YAMLParser.parse(SourceBuffer(text)).first) }

  /// Whether `text` holds `original`'s data with `changes` made (and, when there are no
  /// changes, the other way round too).
  func same(_ original: String, _ text: String, applying changes: (Document) throws -> [DataChange] = { _ in [] }) throws -> Bool {
    let doc = try document(original)
    let forward = doc.mismatch(in: SourceBuffer(text), applying: try changes(doc)) == nil
    if try changes(doc).isEmpty {
      XCTAssertEqual(try document(text).mismatch(in: SourceBuffer(original)) == nil, forward, "not symmetric: \(original) / \(text)")
    }
    return forward
  }

  func testLayoutQuotingAndCommentsDoNotCount() throws {
    let base = "a: 1\nb: [x, z]\nc: &n text\nd: *n\n"
    XCTAssertTrue(try same(base, base))
    XCTAssertTrue(try same(base, "# c\na:   1   # d\nb:\n- x\n- 'z'\nc: &n \"text\"\nd: *n\n"))
    XCTAssertTrue(try same(base, "{a: 1, b: [\"x\", z], c: &n text, d: *n}"))
    XCTAssertTrue(try same(base, "a: 1\nb: [x, z]\nc: &other text\nd: *other\n"))
  }

  func testDataAndTypesCount() throws {
    let base = "a: 1\nb: [x, y]\n"
    for changed in [
      "a: 2\nb: [x, y]\n", "a: '1'\nb: [x, y]\n", "a: !!str 1\nb: [x, y]\n", "a: 1\nb: [x]\n", "a: 1\nb: [[x], y]\n",
      "a: 1\nb: [x, y]\nc: 0\n", "a: 1\nc: [x, y]\n", "a: 1\nb: {x: y}\n", "b: [x, y]\na: 1\n", "a: 1\nb: [y, x]\n",
      "a: 1\nb: [x, y, z]\n", "a: 10\nb: [x, y]\n", "a: 1\nb: x\n",
    ] {
      XCTAssertFalse(try same(base, changed), changed)
    }
    XCTAssertFalse(try same("a: true\n", "a: 'true'\n"))
    XCTAssertTrue(try same("a: text\n", "a: 'text'\n"))
    // `n` and `y` are booleans in YAML 1.1: plain, they are not the strings 'n' and 'y'.
    XCTAssertFalse(try same("n: y\n", "'n': 'y'\n"))
    // Aliases must point at the same value.
    XCTAssertFalse(try same("a: &x 1\nb: &y 2\nc: *x\n", "a: &x 1\nb: &y 2\nc: *y\n"))
    XCTAssertFalse(try same("a: &x [1]\nc: *x\n", "a: &x {k: 1}\nc: *x\n"))
  }

  func testTextsThatAreNotOneDocument() throws {
    let doc = try document("a: 1\n")
    XCTAssertEqual(doc.mismatch(in: SourceBuffer("a: 1\n---\na: 1\n"))?.kind, .documents(2))
    XCTAssertEqual(doc.mismatch(in: SourceBuffer("# only a comment\n"))?.kind, .documents(0))
    guard case .doesNotParse(let message)? = doc.mismatch(in: SourceBuffer("a: [1\n"))?.kind else {
      return XCTFail("a text that does not parse must say so")
    }
    XCTAssertTrue(message.contains("line "), message)
  }

  func testChangesEqualTheChangedText() throws {
    let text = "m:\n  k: v\n  empty:\n  flow: {}\n  list: [a]\n  s: old\n"
    func node(_ doc: Document, _ key: String) throws -> NodeID {
      let m = try XCTUnwrap(MappingEditor(doc).lookup(try XCTUnwrap(doc.root), "m")).value
      return key.isEmpty ? m : try XCTUnwrap(MappingEditor(doc).lookup(m, key)).value
    }
    let cases: [(String, (Document) throws -> [DataChange])] = [
      ("m:\n  k: v\n  empty:\n  flow: {}\n  list: [a]\n  s: old\n  q: {x: [1, \"2\"]}\n",
        { [.appendEntries([NewEntry("q", .mapping([NewEntry("x", .sequence([.int(1), .string("2")]))]))], to: try node($0, ""))] }),
      ("m:\n  k: v\n  empty: {a: true}\n  flow: {}\n  list: [a]\n  s: old\n",
        { [.replace(try node($0, "empty"), with: .mapping([NewEntry("a", .bool(true))]))] }),
      ("m:\n  k: v\n  empty:\n  flow: {b: 'x'}\n  list: [a]\n  s: old\n",
        { [.replace(try node($0, "flow"), with: .mapping([NewEntry("b", .string("x"))]))] }),
      ("m:\n  k: v\n  empty:\n  flow: {}\n  list: [a, ALL]\n  s: new\n",
        { [.appendItems([.string("ALL")], to: try node($0, "list")), .replace(try node($0, "s"), with: .string("new"))] }),
    ]
    for (changed, changes) in cases {
      XCTAssertTrue(try same(text, changed, applying: changes), changed)
      XCTAssertFalse(try same(text, text, applying: changes), changed)
      XCTAssertFalse(try same(text, changed), changed)
    }
    // A change elsewhere than the text's is not the same data.
    XCTAssertFalse(try same(text, "q: 1\n" + text, applying: { [.appendEntries([NewEntry("q", .int(1))], to: try node($0, ""))] }))
    // A new value must read back as its type: `'1'` is not the integer 1, `yes` is not the string.
    let list = "l: [a]\n"
    func listNode(_ doc: Document) throws -> NodeID { try XCTUnwrap(MappingEditor(doc).lookup(try XCTUnwrap(doc.root), "l")).value }
    XCTAssertTrue(try same(list, "l: [a, 1]\n", applying: { [.appendItems([.int(1)], to: try listNode($0))] }))
    XCTAssertFalse(try same(list, "l: [a, '1']\n", applying: { [.appendItems([.int(1)], to: try listNode($0))] }))
    XCTAssertFalse(try same(list, "l: [a, yes]\n", applying: { [.appendItems([.string("yes")], to: try listNode($0))] }))
    XCTAssertTrue(try same(list, "l: [a, 'yes']\n", applying: { [.appendItems([.string("yes")], to: try listNode($0))] }))
  }
}
